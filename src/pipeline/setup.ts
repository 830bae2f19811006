import path from 'node:path';
import { buildPrefilter } from '../engine/prefilter.js';
import { correlationsBeside, loadContent, type Content } from '../rules/content.js';
import { loadContentEntry, type ContentEntry } from '../rules/content-cache.js';
import { families } from '../families/registry.js';
import type { BoundCorrelation } from '../rules/correlation.js';
import { perEvent, type Detection } from '../rules/detection.js';
import { TacticTable, techniquesFile } from '../rules/mitre.js';
import type { ContentError, Expr } from '../rules/search-plan.js';
import { selectDetections } from '../rules/select.js';
import { closest } from '../rules/suggest.js';
import { fieldsOf, rowColumns } from '../rules/plan-fields.js';
import type { Tuning } from '../rules/tuning.js';
import type { RecordPrefilter } from '../sources/source.js';
import type { TableStore } from '../engine/saved-tables.js';
import type { PipelineConfig } from './config.js';

/** Everything a run needs, loaded and compiled once from a PipelineConfig. */
export interface PipelineSetup {
  config: PipelineConfig;
  /** the selected detections and correlations */
  detections: Detection[];
  correlations: BoundCorrelation[];
  tuning: Tuning;
  tactics: TacticTable;
  where?: Expr;
  /** the byte prefilter over every selected rule (undefined with `input.prefilter: false`) */
  prefilter?: RecordPrefilter;
  /** where the prefilter's tables and the detector's candidate indexes over `detections` are kept between runs (beside the compiled content) */
  prefilterTables?: TableStore;
  indexTables?: TableStore;
  /** third-party rules (Sigma) that loaded, that did not (each with its reason), and rule/log source pairs not run */
  ruleLoad: { loaded: number; notLoaded: ContentError[]; notRun: number };
}

/** Why a run must not start: content that does not load (each at file:line:col), or bad usage. */
export type SetupProblem = { kind: 'content'; errors: ContentError[] } | { kind: 'usage'; problems: string[] };

export interface SetupOptions {
  /** the shipped content folder: its ATT&CK technique table is read from there */
  contentRoot: string;
}

/** Loads and validates the content a configuration names; every problem is returned, none thrown. */
export async function preparePipeline(config: PipelineConfig, options: SetupOptions): Promise<PipelineSetup | SetupProblem> {
  const correlationDirs = config.rules.map(correlationsBeside);
  const { content, derived } = await loadRunContent(config.rules, correlationDirs, options.contentRoot);
  const tunable = [...content.detections, ...content.correlations.map((c) => c.detection)];
  const tuning = config.tuningFile ? await loadTuningFile(config.tuningFile, tunable) : { tuning: new Map() as Tuning, errors: [] };
  const contentErrors = [...content.errors, ...tuning.errors];
  if (contentErrors.length > 0) return { kind: 'content', errors: contentErrors };
  const all = [...content.detections, ...content.correlations.map((c) => c.detection)];
  const { selected, problems } = selectDetections(all, config.selection);
  // the SPL compiler (about 90 KB of code) loads only for a run that has a --where: the rules come compiled from the content cache
  const where = config.where === undefined ? undefined : (await import('../rules/spl/compile.js')).compileFilter(config.where);
  const usage = [...problems, ...(where?.errors ?? []).map((e) => `--where: col ${e.col}: ${e.message}`)];
  // a column no selected detection outputs would silently keep nothing
  if (where?.expr && where.errors.length === 0) usage.push(...unknownColumns(fieldsOf(where.expr), selected));
  const range = config.input.timeRange;
  if (range?.from !== undefined && range.to !== undefined && range.from > range.to) usage.push('--from is later than --to: no event could be kept');
  if (usage.length > 0) return { kind: 'usage', problems: usage };
  const ids = new Set(selected.map((d) => d.id));
  const detections = content.detections.filter((d) => ids.has(d.id)).map((d) => (config.findings.perEvent ? perEvent(d) : d));
  const correlations = content.correlations.filter((c) => ids.has(c.id)).map((c) => withStepFilters(c, tuning.tuning));
  const prefiltered = [...detections, ...correlations.flatMap((c) => c.steps.flatMap((s) => s.detections))];
  // the content and these ids (the selection) say which detections the saved tables are of
  const prefilterTables = derived?.(`prefilter\0${idsOf(prefiltered)}`);
  return {
    config,
    detections,
    correlations,
    tuning: tuning.tuning,
    tactics: new TacticTable(new Map(content.techniques)),
    where: where?.expr,
    prefilter: config.input.prefilter ? buildPrefilter(prefiltered, families.normalizer, prefilterTables) : undefined,
    prefilterTables,
    indexTables: derived?.(`candidates\0${idsOf(detections)}`),
    ruleLoad: {
      // Sigma rules, correlation rules among them, and the rules only a correlation runs (generate: false)
      loaded: new Set(
        [...content.detections, ...content.correlations.flatMap((c) => (c.sigma ? [c.detection, ...c.steps.flatMap((s) => s.detections)] : []))]
          .map((d) => d.ruleId)
          .filter((id) => id !== undefined),
      ).size,
      notLoaded: content.notLoaded,
      notRun: content.notRun.length,
    },
  };
}

function idsOf(detections: Detection[]): string {
  return detections.map((d) => d.id).join('\0');
}

function unknownColumns(fields: string[], detections: Detection[]): string[] {
  const known = new Set(detections.flatMap((d) => rowColumns(d.plan, d.output)));
  return fields.filter((f) => !known.has(f)).map((f) => {
    const near = closest(f, [...known]);
    return `--where: no selected detection has a column '${f}'${near ? ` (did you mean '${near}'?)` : ''}`;
  });
}


export function isSetupProblem(x: PipelineSetup | SetupProblem): x is SetupProblem {
  return 'kind' in x;
}

/** The YAML library loads only for a run that has a tuning file. */
async function loadTuningFile(file: string, detections: Detection[]): ReturnType<typeof import('../rules/tuning.js').loadTuning> {
  const { loadTuning } = await import('../rules/tuning.js');
  return loadTuning(file, detections);
}

interface RunContent extends Content {
  /** the ATT&CK technique → tactics table, as plain data so that it is cached with the rules */
  techniques: Array<[string, readonly string[]]>;
}

/** Rules, correlations and the tactic table, compiled once and then served from the content cache. */
async function loadRunContent(rules: string[], correlationDirs: string[], contentRoot: string): Promise<ContentEntry<RunContent>> {
  const techniques = techniquesFile(contentRoot);
  return loadContentEntry([...rules, ...correlationDirs, path.dirname(techniques)], async () => {
    const [content, { loadTacticTable }] = await Promise.all([loadContent(rules, correlationDirs), import('../rules/mitre-load.js')]);
    const tactics = await loadTacticTable(techniques);
    return { ...content, errors: [...content.errors, ...tactics.errors], techniques: tactics.table.entries() };
  });
}

/** A correlation with the tuning filters of its step detections: an event they suppress is no step either. */
function withStepFilters(c: BoundCorrelation, tuning: Tuning): BoundCorrelation {
  const stepFilters: Record<string, Expr> = {};
  for (const d of c.steps.flatMap((s) => s.detections)) {
    const filter = d.output.filterMacro === undefined ? undefined : tuning.get(d.output.filterMacro);
    if (filter) stepFilters[d.id] = filter.expr;
  }
  return Object.keys(stepFilters).length > 0 ? { ...c, stepFilters } : c;
}
