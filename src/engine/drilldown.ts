import { templateFields } from '../rules/field-template.js';
import { findingColumns, renderTemplate, type ColumnValue, type Finding } from './finding.js';

export interface DrilldownCommand {
  name: string;
  command: string;
}

export interface DrilldownContext {
  /** the scan's inputs, repeated in the narrowed scan */
  inputs: string[];
  /** detection paths, when the scan did not use the shipped ones */
  rules?: string[];
  /** the risk JSONL the scan wrote (--risk-out); without one, the risk drilldown writes it first */
  riskFile?: string;
}

const SEVEN_DAYS = '7d';
/** where the risk drilldown writes the risk events when the scan wrote none */
const RISK_FILE = 'risk.jsonl';

function rulesArgs(ctx: DrilldownContext): string[] {
  // --rules takes one path: repeated for each
  return (ctx.rules ?? []).flatMap((r) => ['--rules', shellQuote(r)]);
}

/**
 * ESCU's two drilldowns as runnable tunnelwatch commands: the detection narrowed to the finding's
 * objects over its time range, and the risk events of those objects over the 7 days up to it.
 * The objects are the `$field$` tokens of the drilldown names (user/dest, or src on the network).
 */
export function drilldownCommands(finding: Finding, ctx: DrilldownContext): DrilldownCommand[] {
  const d = finding.detection;
  const columns = findingColumns(finding);
  const [own, risk] = [d.drilldowns[0]?.name, d.drilldowns[1]?.name];
  const fields = objectFields(d.drilldowns.map((x) => x.name), d.risk?.riskObjects.map((o) => o.field) ?? []);
  const pairs = fields.flatMap((f) => valuesOf(columns[f]).map((v) => [f, v] as const));
  const range = timeRange(finding);
  const scan = [
    'tunnelwatch scan', '--detection', d.id,
    ...(range ? ['--from', range.from, '--to', range.to] : []),
    ...(pairs.length ? ['--where', shellQuote(pairs.map(([f, v]) => `${f}=${splString(v)}`).join(' '))] : []),
    ...rulesArgs(ctx),
    ...ctx.inputs.map(shellQuote),
  ];
  const objects = [...new Set(pairs.map(([, v]) => v))];
  // a command runs as printed: without a risk file from this scan, it writes one first
  const riskFile = ctx.riskFile ?? RISK_FILE;
  const writeRisk = ctx.riskFile ? [] : ['tunnelwatch scan -q -f jsonl --risk-out', RISK_FILE, ...rulesArgs(ctx), ...ctx.inputs.map(shellQuote), '> /dev/null &&'];
  const riskCommand = [
    ...writeRisk,
    'tunnelwatch risk', ...objects.flatMap((v) => ['--object', shellQuote(v)]), '--since', SEVEN_DAYS,
    ...(range ? ['--until', range.to] : []), shellQuote(riskFile),
  ];
  const label = pairs.map(([, v]) => `"${v}"`).join(' and ');
  return [
    { name: own ? renderTemplate(own, columns) : `View the detection results for - ${label}`, command: scan.join(' ') },
    { name: risk ? renderTemplate(risk, columns) : `View risk events for the last 7 days for - ${label}`, command: riskCommand.join(' ') },
  ];
}

function objectFields(names: string[], fallback: string[]): string[] {
  const fromNames = names.flatMap(templateFields);
  return [...new Set(fromNames.length ? fromNames : fallback)];
}

function valuesOf(value: ColumnValue | undefined): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [String(value)]).filter((v) => v !== '' && v !== 'null');
}

/** whole seconds covering the finding, as ISO UTC */
function timeRange(finding: Finding): { from: string; to: string } | undefined {
  if (finding.firstTime === undefined || finding.lastTime === undefined) return undefined;
  const iso = (s: number) => `${new Date(s * 1000).toISOString().slice(0, 19)}Z`;
  return { from: iso(Math.floor(finding.firstTime)), to: iso(Math.ceil(finding.lastTime)) };
}

/** an SPL quoted string: `\` and `"` escaped as Splunk reads them */
export function splString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** POSIX shell single-quoting, left bare when nothing needs quoting */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_\-.,:/=@%+]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
