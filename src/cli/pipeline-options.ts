/**
 * The options `scan` and `watch` share: which input format, which rules, and the engine's limits.
 * One home, so the two commands take the same flags with the same meaning and defaults.
 */
import { Option, type Command } from 'commander';
import { defaultIncidentOptions } from '../engine/risk.js';
import type { PipelineConfig } from '../pipeline/config.js';
import { sources, type SourceName } from '../sources/registry.js';
import { collect, parseByteSize } from './shared.js';
import { parseDuration } from './time-args.js';

/** What `addPipelineOptions` gives a command's flags. */
export interface PipelineFlags {
  inputFormat?: SourceName;
  rules: string[];
  detection: string[];
  story?: string;
  mitre?: string;
  where?: string;
  showSuppressed?: boolean;
  riskWindow: number;
  riskThreshold: number;
  maxRecordBytes: number;
  maxGroups: number;
  evidence: number;
  prefilter: boolean;
}

export function addPipelineOptions(command: Command): Command {
  return command
    .addOption(new Option('-i, --input-format <format>', 'force the input format instead of detecting it from content').choices(Object.keys(sources)))
    .option('-r, --rules <path>', 'detection YAML file or directory, repeatable (correlations are read from the correlations/ folder beside it)', collect, [] as string[])
    .option('-d, --detection <name|id>', 'run only this detection (repeatable)', collect, [])
    .option('--story <name>', 'run only the detections of this analytic story')
    .option('--mitre <id>', 'run only detections mapped to this ATT&CK technique (T1090 includes T1090.002)')
    .option('--where <spl>', 'keep only findings matching this SPL expression over output columns, e.g. \'user="CORP\\\\alice"\'')
    .option('--show-suppressed', 'output findings suppressed by tuning, marked, instead of leaving them out')
    .option('--risk-window <duration>', 'risk incident sliding window', parseDuration, defaultIncidentOptions.windowSeconds)
    .option('--risk-threshold <score>', 'risk incident when a window total is greater than this', (v) => Number.parseInt(v, 10), defaultIncidentOptions.threshold)
    .option('--max-record-bytes <size>', 'skip (and report) records longer than this, e.g. 1MiB', parseByteSize, 1024 * 1024)
    .option('--max-groups <n>', 'finding groups kept per detection, and keys and findings per correlation (bounded memory; what the cap refuses is counted in the summary)', (v) => Number.parseInt(v, 10), 100_000)
    .option('--evidence <n>', 'contributing events listed per finding (the first ones by time; all are counted in evidence_count)', (v) => Number.parseInt(v, 10), 10)
    .option('--no-prefilter', 'parse every record, even those no rule can match (slower; same findings)');
}

/**
 * The configuration of a run over the bus (`worker`, `results`): scan's, with one finding per
 * group over the whole run, so that the merge of every worker's partial states is what `scan`
 * over the same files prints.
 */
export function busPipelineConfig(flags: PipelineFlags, tuningFile?: string): PipelineConfig {
  return {
    rules: flags.rules,
    selection: { detections: flags.detection, story: flags.story, mitre: flags.mitre },
    tuningFile,
    where: flags.where,
    input: { format: flags.inputFormat, maxRecordBytes: flags.maxRecordBytes, prefilter: flags.prefilter },
    findings: { allowedLatenessSeconds: 0, maxGroups: flags.maxGroups, showSuppressed: flags.showSuppressed === true, evidence: flags.evidence },
    risk: { windowSeconds: flags.riskWindow, threshold: flags.riskThreshold, minTactics: defaultIncidentOptions.minTactics },
  };
}
