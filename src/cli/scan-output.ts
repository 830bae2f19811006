import { createWriteStream } from 'node:fs';
import type { Finding } from '../engine/finding.js';
import { drilldownCommands, type DrilldownContext } from '../engine/drilldown.js';
import { renderFinding, type FindingRecord } from '../engine/render.js';
import { matchedValuesByDetection } from '../engine/matched-values.js';
import { formatIncidentTable, incidentRule, type IncidentOptions, type RiskEvent, type RiskIncident } from '../engine/risk.js';
import type { TacticTable } from '../rules/mitre.js';
import type { BatchResults } from '../pipeline/batch.js';
import type { PipelineSetup } from '../pipeline/setup.js';
import { sinks, type SinkName } from '../sinks/registry.js';
import type { SinkContext } from '../sinks/sink.js';

export interface ScanOutput {
  /** every finding, in detector order (Splunk's) */
  findings: Finding[];
  /** finding -> the filter macro that suppressed it */
  suppressed: Map<Finding, string>;
  showSuppressed: boolean;
  incidents: RiskIncident[];
  incidentOptions: IncidentOptions;
  /** print the incident table even when empty: some selected detection can raise risk */
  riskPossible: boolean;
  drilldown?: DrilldownContext;
  incidentsOnly: boolean;
  /** ATT&CK technique -> tactics, for sinks that summarise by tactic */
  tactics?: TacticTable;
  /** `--timezone`: the zone the table shows times in (JSON, CSV and the rest stay UTC) */
  timeZone?: string;
}

/** What a batch run's results print as (scan's, and the merge of the bus workers' results). */
export function scanOutputOf(setup: PipelineSetup, results: BatchResults, options: Pick<ScanOutput, 'drilldown' | 'timeZone'> & { incidentsOnly?: boolean }): ScanOutput {
  return {
    findings: results.findings,
    suppressed: new Map(results.tuned.suppressed.map((s) => [s.finding, s.macro])),
    showSuppressed: setup.config.findings.showSuppressed,
    incidents: results.incidents,
    incidentOptions: results.incidentOptions,
    riskPossible: setup.detections.some((d) => d.risk && d.type !== 'Hunting'),
    drilldown: options.drilldown,
    incidentsOnly: options.incidentsOnly === true,
    tactics: setup.tactics,
    timeZone: options.timeZone,
  };
}

/** Findings in detector order; suppressed ones left out, or kept and marked with --show-suppressed. */
export function findingRecords(out: Pick<ScanOutput, 'findings' | 'suppressed' | 'showSuppressed' | 'drilldown'>): FindingRecord[] {
  return out.findings
    .filter((f) => out.showSuppressed || !out.suppressed.has(f))
    .map((f) => {
      const record = renderFinding(f);
      const macro = out.suppressed.get(f);
      if (macro) record.suppressed_by = macro;
      if (out.drilldown) record.drilldowns = drilldownCommands(f, out.drilldown);
      return record;
    });
}

/**
 * Table: findings, then the incident table. Other formats: one row stream where every row has
 * `kind` (`finding` or `risk_incident`), so consumers can tell them apart.
 */
export async function writeScanOutput(out: ScanOutput, format: SinkName, output?: string): Promise<void> {
  const stream = output ? createWriteStream(output) : process.stdout;
  const isTTY = !output && process.stdout.isTTY === true;
  const ctx: SinkContext = {
    isTTY,
    columns: process.stdout.columns,
    // https://no-color.org: present and not empty disables colour
    color: isTTY && !process.env.NO_COLOR,
    tacticsOf: out.tactics && ((ids) => out.tactics!.tacticsOf(ids)),
    incidentRule: incidentRule(out.incidentOptions),
    matchedOf: matchedValuesByDetection(new Set(out.findings.map((f) => f.detection))),
    timeZone: out.timeZone,
  };
  const records = out.incidentsOnly ? [] : findingRecords(out);
  if (format === 'table') {
    if (!out.incidentsOnly) sinks.table.write(records, stream, ctx);
    if (out.riskPossible || out.incidentsOnly) stream.write(formatIncidentTable(out.incidents, out.incidentOptions, out.timeZone));
  } else {
    // Incident rows share the sinks' generic row handling; only `table` reads finding-specific keys.
    const rows = [...records.map((r) => ({ kind: 'finding', ...r })), ...out.incidents] as unknown as FindingRecord[];
    sinks[format].write(rows, stream, ctx);
  }
  if (output) await closeStream(stream as ReturnType<typeof createWriteStream>);
}

export async function writeRiskEvents(events: RiskEvent[], file: string): Promise<void> {
  const stream = createWriteStream(file);
  for (const e of events) stream.write(`${JSON.stringify(e)}\n`);
  await closeStream(stream);
}

function closeStream(stream: ReturnType<typeof createWriteStream>): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.on('error', reject);
    stream.end(() => resolve());
  });
}
