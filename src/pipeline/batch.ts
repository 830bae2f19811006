import { Analyzer } from '../engine/analyzer.js';
import type { EntityResolver } from '../engine/entities.js';
import type { Finding } from '../engine/finding.js';
import { renderFinding } from '../engine/render.js';
import { riskEventsOf, riskIncidents, type IncidentOptions, type RiskEvent, type RiskIncident } from '../engine/risk.js';
import { keepRows } from '../engine/row-filter.js';
import { applyTuning, type SuppressionResult } from '../engine/suppress.js';
import { RunReport } from '../diagnostics/run-report.js';
import type { SourceInput } from '../sources/source.js';
import { scanInputsParallel, type InputPlan, type ShareRunner } from './parallel.js';
import type { PipelineSetup } from './setup.js';

/** What a batch run found, after every stage: the where-filter, tuning, risk events and incidents. */
export interface BatchResults {
  /** findings the where-filter kept, in detector order (Splunk's); tuning decides in `tuned` */
  findings: Finding[];
  tuned: SuppressionResult;
  riskEvents: RiskEvent[];
  incidents: RiskIncident[];
  incidentOptions: IncidentOptions;
}

export interface BatchHooks {
  onInputStart?: (input: SourceInput) => void;
  onProgress?: (input: SourceInput, bytesRead: number) => void;
  /** bytes of the finished pieces of every thread, now and then */
  onSharedProgress?: (doneBytes: number) => void;
}

/**
 * sources → normalize → detect over planned inputs (in worker threads when the pool has them),
 * then the stages after detection. With `findings.windowSeconds`, findings are per time window.
 */
export async function runBatch(setup: PipelineSetup, plan: InputPlan, pool: ShareRunner, hooks: BatchHooks = {}): Promise<{ analyzer: Analyzer; report: RunReport; results: BatchResults }> {
  const { config } = setup;
  const analyzer = batchAnalyzer(setup);
  const report = new RunReport();
  await scanInputsParallel(
    analyzer,
    plan,
    {
      detections: setup.detections,
      correlations: setup.correlations,
      maxGroups: config.findings.maxGroups,
      windowSeconds: config.findings.windowSeconds,
      evidenceCap: config.findings.evidence,
      prefilter: setup.prefilter,
      savedTables: { prefilter: setup.prefilterTables, indexes: setup.indexTables },
      format: config.input.format,
      maxRecordBytes: config.input.maxRecordBytes,
      timeRange: config.input.timeRange,
      ...hooks,
    },
    report,
    pool,
  );
  return { analyzer, report, results: batchResults(setup, withFileLines(analyzer.findings(), report), analyzer.entities) };
}

/** The analyzer a batch (or each of its shares, wherever they run) detects with: their partial states merge to one run's. */
export function batchAnalyzer(setup: PipelineSetup): Analyzer {
  const { findings } = setup.config;
  return new Analyzer(setup.detections, setup.correlations, { maxGroupsPerDetection: findings.maxGroups, windowSeconds: findings.windowSeconds, evidenceCap: findings.evidence, indexTables: setup.indexTables });
}

/** Evidence lines counted from a piece of a file (a thread read it alone) as the file's own line numbers. */
export function withFileLines(findings: Finding[], report: RunReport): Finding[] {
  for (const f of findings) {
    if (!f.evidence.some((e) => e.piece !== undefined)) continue;
    f.evidence = f.evidence.map(({ piece, ...e }) => (piece === undefined || e.line === undefined ? e : { ...e, line: report.fileLine(e.source, piece, e.line) }));
  }
  return findings;
}

/** The stages after detection over a complete set of findings: what `scan` prints. */
export function batchResults(setup: PipelineSetup, all: Finding[], entities?: EntityResolver): BatchResults {
  const findings = setup.where ? keepRows(all, setup.where) : all;
  const tuned = applyTuning(findings, setup.tuning);
  const riskEvents = tuned.kept.flatMap((f) => riskEventsOf(f, renderFinding(f), setup.tactics, entities));
  const incidentOptions = incidentOptionsOf(setup);
  return { findings, tuned, riskEvents, incidents: riskIncidents(riskEvents, incidentOptions), incidentOptions };
}

export function incidentOptionsOf(setup: Pick<PipelineSetup, 'config'>): IncidentOptions {
  const { windowSeconds, threshold, minTactics } = setup.config.risk;
  return { windowSeconds, threshold, minTactics };
}
