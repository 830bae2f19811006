import type { RecordLocation } from '../diagnostics/skip.js';
import type { Journal, JournalRecord } from '../ingest/journal.js';
import type { RiskEvent } from '../engine/risk.js';
import type { FindingRecord } from '../engine/render.js';
import type { SerializedGroupState } from '../engine/partial-state.js';
import { StreamPipeline, type PipelineCheckpoint, type StreamStats, type TakenUpserts } from '../pipeline/stream.js';
import type { PipelineSetup } from '../pipeline/setup.js';
import type { IncidentUpsert } from '../sinks/stream-sink.js';
import { isSourceName } from '../sources/registry.js';
import type { SourceInput } from '../sources/source.js';
import type { EventRef, FindingStore, FindingUpsert, StoreCommit } from '../store/store.js';

/** the prefilter's and the sources' tallies, as the status API shows them */
export interface ProcessorSkips {
  prefiltered: number;
  skipped: Record<string, { count: number; first: Array<{ reason: string; location: RecordLocation }> }>;
}

export interface ProcessorOptions {
  store: FindingStore;
  journal: Journal;
  setup: PipelineSetup;
  /** journal bytes read per step (one store transaction): 8 MiB */
  stepBytes?: number;
  /** a step ends after the record that takes it past this many milliseconds: 250 */
  stepMs?: number;
  /** after every commit (the position moved): the ids of the findings that changed, often none */
  onCommit?: (changed: string[]) => void;
  /** the checkpoint's name in the store */
  consumer?: string;
}

/** The journal position and the pipeline state that covers exactly the records before it. */
type ProcessorCheckpoint = PipelineCheckpoint<number>;

/** Raised when the store's checkpoint cannot be resumed (written by an older build). */
export class CheckpointFormatError extends Error {}

/**
 * Consumes the ingest journal through the streaming pipeline (sources → normalize → windowed
 * detection → tuning → risk) and commits, per step of journal records, only what changed: the
 * findings, their evidence references, risk events and incidents, and the new journal position
 * with the pipeline state, in ONE store transaction. A restart (even after kill -9) resumes from
 * the last commit, so each journal record contributes exactly once. Windows close as the
 * watermark passes them and leave memory; their final state stays in the store, and an event
 * that comes after its window closed is folded into that kept state (a late update).
 */
export class JournalProcessor {
  private position = 0;
  private readonly consumer: string;
  private stopped = false;
  private failure: Error | undefined;
  /** states of findings closed in the step being built: not in the store yet, but late updates in the same step fold into them */
  private stepStates = new Map<string, SerializedGroupState>();
  /** the count last written for each open finding: a record that changes it is one of its contributing events */
  private counts = new Map<string, number>();

  private constructor(
    private readonly options: ProcessorOptions,
    private pipeline: StreamPipeline<number>,
  ) {
    this.consumer = options.consumer ?? 'journal';
  }

  /** Restores the last committed state from the store (nothing on a first start). */
  static async open(options: ProcessorOptions): Promise<JournalProcessor> {
    const consumer = options.consumer ?? 'journal';
    const saved = await options.store.checkpoint(consumer);
    let checkpoint: ProcessorCheckpoint | undefined;
    if (saved) {
      checkpoint = JSON.parse(saved.state) as ProcessorCheckpoint;
      if (checkpoint.version !== 1 || !checkpoint.analyzer) {
        throw new CheckpointFormatError(`the store's '${consumer}' checkpoint was written by an older tunnelwatch: start with a new data directory (or store)`);
      }
    }
    let processor: JournalProcessor | undefined;
    const pipeline = await StreamPipeline.open<number>(options.setup, {
      sinks: [],
      checkpoint,
      closedStates: (ids) => (processor as JournalProcessor).closedStates(ids),
    });
    processor = new JournalProcessor(options, pipeline);
    processor.position = Math.max(saved?.position ?? 0, options.journal.start);
    for (const f of pipeline.analyzer.findings()) processor.counts.set(f.id, f.count);
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

  /** events read, skipped and prefiltered since start */
  get report() {
    return this.pipeline.report;
  }

  stats(): StreamStats {
    return this.pipeline.stats();
  }

  /** what the status API shows of `report`: records the prefilter ruled out, skips by code with their first few */
  skipped(): ProcessorSkips {
    const r = this.pipeline.report;
    return {
      prefiltered: r.prefiltered,
      skipped: Object.fromEntries([...r.skips].map(([code, t]) => [code, { count: t.count, first: t.first.map((s) => ({ reason: s.reason, location: s.location })) }])),
    };
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

  /**
   * Processes one step of records (one store transaction): what the journal holds, up to
   * `stepBytes`, or what was read in `stepMs` (so findings reach the store at least that often
   * while the processor is behind); false when there was nothing to read.
   */
  async step(): Promise<boolean> {
    const records = this.options.journal.read(this.position, this.options.stepBytes ?? 8 * 1024 * 1024);
    if (records.length === 0) return false;
    const started = performance.now();
    const batch = new StepBatch();
    this.stepStates = new Map();
    let next = this.position;
    for (const record of records) {
      const eventsBefore = this.pipeline.report.events;
      const format = record.header.format;
      await this.pipeline.ingest(journalInput(record), undefined, format !== undefined && isSourceName(format) ? format : undefined);
      // records the prefilter dropped whole parse no event: nothing can have changed
      if (this.pipeline.report.events !== eventsBefore) await this.gather(record, batch);
      next = record.next;
      if (performance.now() - started >= (this.options.stepMs ?? 250)) break;
      // let HEC requests (and their journal fsyncs) in between records: detection must not stall ingest
      await new Promise((resolve) => setImmediate(resolve));
    }
    // the step's findings rendered once each (gather held them back), then committed with the position in one transaction
    this.collect(await this.pipeline.take(), undefined, batch);
    await this.options.store.commit(batch.toCommit({ consumer: this.consumer, position: next, state: JSON.stringify(this.pipeline.checkpoint(next)) }));
    this.position = next;
    // also when nothing changed: the detection thread reports its position to the main thread this way
    this.options.onCommit?.([...batch.findings.keys(), ...batch.retracted]);
    return true;
  }

  /**
   * One record's changes: the record is a contributing event of every finding whose count it moved
   * (or that it updated late). Open changes are only noted here (their upserts come from the
   * step's one take); an order-sensitive change makes the pipeline take everything at once.
   */
  private async gather(record: JournalRecord, batch: StepBatch): Promise<void> {
    const { changes, taken } = await this.pipeline.gather();
    if (taken) {
      this.collect(taken, record, batch);
      return;
    }
    let origin: Record<string, string | number> | undefined;
    for (const { finding } of changes) {
      if (this.counts.get(finding.id) === finding.count) continue;
      this.counts.set(finding.id, finding.count);
      // kept only if the step ends with the finding upserted (a finding the where-filter or tuning hides has none)
      batch.refs.push({ findingId: finding.id, ref: `journal:${record.offset}`, origin: (origin ??= originOf(record)) });
    }
  }

  /** taken changes into the step's batch, with `record` (if any) as a contributing event of every finding whose count it moved */
  private collect(taken: TakenUpserts, record: JournalRecord | undefined, batch: StepBatch): void {
    const origin = record && originOf(record);
    const riskOf = new Map<string, RiskEvent[]>();
    for (const u of taken.upserts) {
      if (!('kind' in u)) {
        const { incident_id, revision: _revision, status, ...incident } = u as IncidentUpsert;
        batch.incidents.set(incident_id, { id: incident_id, status, incident });
      } else if (u.kind === 'risk_event') {
        const { kind: _kind, ...event } = u;
        riskOf.set(event.finding_id, [...(riskOf.get(event.finding_id) ?? []), event]);
      }
    }
    for (const u of taken.upserts) {
      if (!('kind' in u) || u.kind !== 'finding') continue;
      const { kind: _kind, revision, status, late, ...record_ } = u;
      const id = record_.finding_id as string;
      const shown = taken.findings.get(id);
      if (status === 'retracted') {
        batch.retract(id);
        this.counts.delete(id);
        continue;
      }
      const count = shown?.finding.count ?? record_.count;
      if (record && origin && (late || this.counts.get(id) !== count)) batch.refs.push({ findingId: id, ref: `journal:${record.offset}`, origin });
      if (status === 'closed') this.counts.delete(id);
      else this.counts.set(id, count);
      const state = shown?.state;
      if (state) this.stepStates.set(id, state);
      batch.upsert(
        {
          record: record_ as FindingRecord,
          revision,
          firstTime: shown?.finding.firstTime ?? null,
          lastTime: shown?.finding.lastTime ?? null,
          ...(state && { state: JSON.stringify(state) }),
        },
        riskOf.get(id) ?? [],
      );
    }
  }

  /** the kept states of closed findings: this step's first, then the store's */
  private async closedStates(ids: string[]): Promise<Map<string, SerializedGroupState>> {
    const out = new Map<string, SerializedGroupState>();
    const rest: string[] = [];
    for (const id of ids) {
      const state = this.stepStates.get(id);
      if (state) out.set(id, state);
      else rest.push(id);
    }
    if (rest.length > 0) for (const [id, json] of await this.options.store.findingStates(rest)) out.set(id, JSON.parse(json) as SerializedGroupState);
    return out;
  }

  /** After a failed commit the pipeline holds events the store does not: rebuild it from the last checkpoint. */
  private async restore(): Promise<void> {
    const fresh = await JournalProcessor.open(this.options).catch(() => undefined);
    if (!fresh) return;
    this.pipeline = fresh.pipeline;
    this.position = fresh.position;
    this.counts = fresh.counts;
  }
}

/** What one step commits: the last upsert of each finding (each is the whole finding), its risk events, incidents, references. */
class StepBatch {
  readonly findings = new Map<string, FindingUpsert>();
  readonly risk = new Map<string, RiskEvent[]>();
  readonly incidents = new Map<string, NonNullable<StoreCommit['incidentChanges']>[number]>();
  readonly retracted = new Set<string>();
  readonly refs: EventRef[] = [];

  upsert(finding: FindingUpsert, risk: RiskEvent[]): void {
    const id = finding.record.finding_id;
    this.findings.set(id, finding);
    this.risk.set(id, risk);
    this.retracted.delete(id);
  }

  retract(id: string): void {
    this.findings.delete(id);
    this.risk.delete(id);
    this.retracted.add(id);
  }

  toCommit(checkpoint: NonNullable<StoreCommit['checkpoint']>): StoreCommit {
    return {
      findings: [...this.findings.values()],
      eventRefs: this.refs.filter((r) => this.findings.has(r.findingId)),
      riskEvents: [...this.risk].map(([findingId, events]) => ({ findingId, events })),
      incidentChanges: [...this.incidents.values()],
      retracted: [...this.retracted],
      checkpoint,
    };
  }
}

/** A journal record as a pipeline input, named by its origin and sourcetype, framed by the source HEC chose for it. */
function journalInput(record: JournalRecord): SourceInput {
  const { header, body } = record;
  return {
    name: `${header.origin}:${header.sourcetype ?? header.format ?? 'auto'}`,
    size: body.length,
    host: header.host,
    async *open() {
      yield body;
    },
  };
}

function originOf(record: JournalRecord): Record<string, string | number> {
  const { header } = record;
  const origin: Record<string, string | number> = { origin: header.origin, journal_offset: record.offset };
  for (const key of ['channel', 'sourcetype', 'source', 'host', 'index', 'peer'] as const) if (header[key] !== undefined) origin[key] = header[key] as string;
  return origin;
}
