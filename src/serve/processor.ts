import { createHash } from 'node:crypto';
import { Analyzer, type AnalyzerPartials } from '../engine/analyzer.js';
import type { Finding } from '../engine/finding.js';
import { renderFinding, type FindingRecord } from '../engine/render.js';
import { defaultIncidentOptions, riskEventsOf, riskIncidents, type IncidentOptions, type RiskEvent } from '../engine/risk.js';
import { keepRows } from '../engine/row-filter.js';
import { applyTuning } from '../engine/suppress.js';
import { RunReport } from '../diagnostics/run-report.js';
import type { Journal, JournalRecord } from '../ingest/journal.js';
import { scanInput, type ScanOptions } from '../pipeline/scan.js';
import { isSourceName } from '../sources/registry.js';
import type { RecordPrefilter, SourceInput } from '../sources/source.js';
import type { EventRef, FindingStore, FindingUpsert } from '../store/store.js';
import type { RunSetup } from './run-setup.js';

/** What the processor keeps in its checkpoint, beside the journal position, to resume exactly. */
interface ProcessorState {
  partials: AnalyzerPartials;
  /** finding id -> [revision, fingerprint of the last record written] */
  written: Array<[string, number, string]>;
}

export interface ProcessorOptions {
  store: FindingStore;
  journal: Journal;
  setup: RunSetup;
  prefilter?: RecordPrefilter;
  maxRecordBytes: number;
  /** journal bytes read per step (one store transaction) */
  stepBytes?: number;
  incidentOptions?: IncidentOptions;
  /** after every commit: the findings that changed */
  onCommit?: (changed: FindingRecord[]) => void;
  /** the checkpoint's name in the store */
  consumer?: string;
}

/**
 * Consumes the ingest journal through sources → normalize → detect → tuning → risk, and commits
 * each step's changed findings, evidence references, risk and the new journal position in one
 * store transaction. The detector state travels in the same checkpoint, so a restart (even after
 * kill -9) resumes from the last commit: each journal record contributes exactly once.
 */
export class JournalProcessor {
  private readonly analyzer: Analyzer;
  private readonly written = new Map<string, { revision: number; fingerprint: string }>();
  private readonly riskByFinding = new Map<string, RiskEvent[]>();
  /** finding id -> count:lastTime, to tell which findings a record changed (evidence references) */
  private touched = new Map<string, string>();
  private position = 0;
  readonly report = new RunReport();
  private readonly consumer: string;
  private stopped = false;
  private failure: Error | undefined;

  private constructor(private readonly options: ProcessorOptions) {
    this.analyzer = new Analyzer(options.setup.detections, options.setup.correlations, { maxGroupsPerDetection: 100_000 });
    this.consumer = options.consumer ?? 'journal';
  }

  /** Restores the last committed state from the store (nothing on a first start). */
  static async open(options: ProcessorOptions): Promise<JournalProcessor> {
    const processor = new JournalProcessor(options);
    const checkpoint = await options.store.checkpoint(processor.consumer);
    if (checkpoint) {
      const state = JSON.parse(checkpoint.state) as ProcessorState;
      processor.analyzer.merge(state.partials);
      for (const [id, revision, fingerprint] of state.written) processor.written.set(id, { revision, fingerprint });
      processor.position = checkpoint.position;
      for (const f of processor.currentFindings()) processor.riskByFinding.set(f.id, riskEventsOf(f, renderFinding(f), options.setup.tactics));
    }
    processor.position = Math.max(processor.position, options.journal.start);
    processor.touched = processor.snapshot();
    return processor;
  }

  /** the journal position every committed result covers */
  get committed(): number {
    return this.position;
  }

  /** journal bytes acknowledged to clients but not yet in the store */
  get lag(): number {
    return this.options.journal.end - this.position;
  }

  /** why processing stopped, if it failed */
  get error(): Error | undefined {
    return this.failure;
  }

  /** Processes until `signal` aborts; a store error is retried (the step is redone from the last commit). */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted && !this.stopped) {
      try {
        const done = await this.step();
        if (!done) await this.options.journal.waitFor(this.position, signal);
        this.failure = undefined;
      } catch (error) {
        this.failure = error as Error;
        await this.restore();
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  stop(): void {
    this.stopped = true;
  }

  /** Processes one step of records; false when there was nothing to read. */
  async step(): Promise<boolean> {
    const records = this.options.journal.read(this.position, this.options.stepBytes ?? 2 * 1024 * 1024);
    if (records.length === 0) return false;
    const eventRefs: EventRef[] = [];
    for (const record of records) {
      await this.process(record, eventRefs);
      // let HEC requests (and their journal fsyncs) in between records: detection must not stall ingest
      await new Promise((resolve) => setImmediate(resolve));
    }
    const next = records[records.length - 1].next;
    await this.commit(next, eventRefs);
    return true;
  }

  private async process(record: JournalRecord, eventRefs: EventRef[]): Promise<void> {
    const { header, body } = record;
    const eventsBefore = this.report.events;
    const input: SourceInput = {
      name: `${header.origin}:${header.sourcetype ?? header.format ?? 'auto'}`,
      size: body.length,
      host: header.host,
      async *open() {
        yield body;
      },
    };
    const options: ScanOptions = {
      format: header.format !== undefined && isSourceName(header.format) ? header.format : undefined,
      maxRecordBytes: this.options.maxRecordBytes,
      prefilter: this.options.prefilter,
    };
    await scanInput(input, this.analyzer, options, this.report);
    // records the prefilter dropped are not counted as events: with none parsed, no finding changed
    if (this.report.events === eventsBefore) return;
    const now = this.snapshot();
    const origin: Record<string, string | number> = { origin: header.origin, journal_offset: record.offset };
    for (const key of ['channel', 'sourcetype', 'source', 'host', 'index', 'peer'] as const) if (header[key] !== undefined) origin[key] = header[key] as string;
    for (const [id, mark] of now) if (this.touched.get(id) !== mark) eventRefs.push({ findingId: id, ref: `journal:${record.offset}`, origin });
    this.touched = now;
  }

  private snapshot(): Map<string, string> {
    return new Map(this.analyzer.findings().map((f) => [f.id, `${f.count}:${f.lastTime ?? ''}`]));
  }

  private currentFindings(): Finding[] {
    const { where, tuning } = this.options.setup;
    const findings = where ? keepRows(this.analyzer.findings(), where) : this.analyzer.findings();
    return applyTuning(findings, tuning).kept;
  }

  private async commit(next: number, eventRefs: EventRef[]): Promise<void> {
    const upserts: FindingUpsert[] = [];
    const changedRecords: FindingRecord[] = [];
    const riskEvents: Array<{ findingId: string; events: RiskEvent[] }> = [];
    const pendingWritten = new Map<string, { revision: number; fingerprint: string }>();
    for (const f of this.currentFindings()) {
      const record = renderFinding(f);
      const fingerprint = createHash('sha1').update(JSON.stringify(record)).digest('base64');
      const previous = this.written.get(f.id);
      if (previous?.fingerprint === fingerprint) continue;
      const revision = (previous?.revision ?? 0) + 1;
      pendingWritten.set(f.id, { revision, fingerprint });
      upserts.push({ record, revision, firstTime: f.firstTime ?? null, lastTime: f.lastTime ?? null });
      changedRecords.push(record);
      const risk = riskEventsOf(f, record, this.options.setup.tactics);
      riskEvents.push({ findingId: f.id, events: risk });
    }
    const written = new Map([...this.written, ...pendingWritten]);
    const state: ProcessorState = { partials: this.analyzer.partials(), written: [...written].map(([id, w]) => [id, w.revision, w.fingerprint]) };
    let incidents;
    if (riskEvents.length > 0) {
      const all = new Map(this.riskByFinding);
      for (const r of riskEvents) all.set(r.findingId, r.events);
      incidents = riskIncidents([...all.values()].flat(), this.options.incidentOptions ?? defaultIncidentOptions);
    }
    await this.options.store.commit({
      findings: upserts,
      eventRefs: eventRefs.filter((r) => written.has(r.findingId)),
      riskEvents,
      incidents,
      checkpoint: { consumer: this.consumer, position: next, state: JSON.stringify(state) },
    });
    // only now, with the transaction committed, does the in-memory view move on
    for (const [id, w] of pendingWritten) this.written.set(id, w);
    for (const r of riskEvents) this.riskByFinding.set(r.findingId, r.events);
    this.position = next;
    if (changedRecords.length > 0) this.options.onCommit?.(changedRecords);
  }

  /** After a failed commit the analyzer holds events the store does not: rebuild it from the last checkpoint. */
  private async restore(): Promise<void> {
    const fresh = await JournalProcessor.open(this.options).catch(() => undefined);
    if (!fresh) return;
    Object.assign(this, { analyzer: fresh.analyzer, position: fresh.position, touched: fresh.touched });
    this.written.clear();
    for (const [k, v] of fresh.written) this.written.set(k, v);
    this.riskByFinding.clear();
    for (const [k, v] of fresh.riskByFinding) this.riskByFinding.set(k, v);
  }
}
