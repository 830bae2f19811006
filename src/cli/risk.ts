import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command, Option } from 'commander';
import type { RiskEvent } from '../engine/risk.js';
import { parseRiskEvent, summarizeRisk, type RiskObjectSummary } from '../engine/risk-query.js';
import { ExitCode } from './shared.js';
import { parseDuration, parseTimeArg } from './time-args.js';

/** `--since 7d` counts back from --until; `--since 2024-05-01` is a time */
type Since = { back: number } | { at: number };

interface RiskFlags {
  object: string[];
  since?: Since;
  until?: number;
  format: 'table' | 'jsonl';
}

export function registerRiskCommand(program: Command): void {
  program
    .command('risk')
    .description('summarise risk events (scan --risk-out JSONL) by risk object: count, times, detections, messages, stories, tactics')
    .argument('<files...>', 'risk event JSONL files')
    .option('--object <value>', 'only this risk object (repeatable, case-insensitive)', (v: string, p: string[]) => [...p, v], [])
    .option('--since <time|duration>', 'from this time, or this long before --until: 7d, 24h, 2024-05-01T00:00:00Z', parseSince)
    .option('--until <time>', 'up to this time (default: now)', (v) => parseTimeArg(v))
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'jsonl']).default('table'))
    .action(async (files: string[], flags: RiskFlags) => {
      process.exitCode = await runRisk(files, flags);
    });
}

async function runRisk(files: string[], flags: RiskFlags): Promise<number> {
  const to = flags.until;
  const since = flags.since;
  const from = since === undefined ? undefined : 'at' in since ? since.at : (to ?? Date.now() / 1000) - since.back;
  const events: RiskEvent[] = [];
  let failed = false;
  for (const file of files) {
    try {
      let line = 0;
      for await (const text of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
        line++;
        if (!text.trim()) continue;
        const parsed = parseRiskEvent(text);
        if (typeof parsed === 'string') process.stderr.write(`${file}:${line}: skipped: ${parsed}\n`);
        else events.push(parsed);
      }
    } catch (error) {
      process.stderr.write(`tunnelwatch: ${file}: ${(error as Error).message}\n`);
      failed = true;
    }
  }
  const summaries = summarizeRisk(events, { objects: flags.object, from, to });
  process.stdout.write(flags.format === 'jsonl' ? summaries.map((s) => `${JSON.stringify(s)}\n`).join('') : formatRiskTable(summaries));
  return failed ? ExitCode.UsageOrIo : ExitCode.Ok;
}

function parseSince(text: string): Since {
  return /^\d+(\.\d+)?[smhdw]$/i.test(text.trim()) ? { back: parseDuration(text) } : { at: parseTimeArg(text) };
}

function formatRiskTable(rows: RiskObjectSummary[]): string {
  if (rows.length === 0) return 'No risk events.\n';
  const out: string[] = [];
  for (const r of rows) {
    out.push(`${r.risk_object} (${r.risk_object_type}): ${r.count} risk event(s), score ${r.risk_score}, ${r.firstTime} .. ${r.lastTime} UTC`);
    if (r.risk_object_aliases.length > 0) out.push(`  also:       ${r.risk_object_aliases.join('; ')}`);
    out.push(`  detections: ${r.search_names.join('; ')}`);
    out.push(`  stories:    ${r.analytic_stories.join('; ')}`);
    out.push(`  tactics:    ${r.mitre_tactics.join(', ') || '-'}`);
    for (const m of r.risk_messages) out.push(`  message:    ${m}`);
  }
  return `${out.join('\n')}\n`;
}
