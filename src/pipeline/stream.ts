import type { CapOverflow } from '../diagnostics/cap-tally.js';
import { Analyzer, type AnalyzerChange, type AnalyzerCheckpoint, type AnalyzerPartials } from '../engine/analyzer.js';
import type { CimEvent } from '../cim/model.js';
import { dataSourceOf, normalize } from '../families/registry.js';
import { RunReport } from '../diagnostics/run-report.js';
import { DEFAULT_EVIDENCE_CAP } from '../engine/evidence.js';
import { findingWithState } from '../engine/finding-groups.js';
import { columnValues, type Finding } from '../engine/finding.js';
import type { SerializedGroupState } from '../engine/partial-state.js';
import type { Origin } from '../engine/origin-ledger.js';
import { compilePredicate, type Predicate } from '../engine/predicate.js';
import { renderFinding } from '../engine/render.js';
import { IncrementalRisk, type IncrementalRiskData } from '../engine/risk-incremental.js';
import { riskEventsOf } from '../engine/risk.js';
import type { SourceName } from '../sources/registry.js';
import type { RawEvent, SourceInput } from '../sources/source.js';
import type { FindingUpsert, StreamSink, Upsert } from '../sinks/stream-sink.js';
import { incidentOptionsOf } from './batch.js';
import { scanInput, type ScanOptions } from './scan.js';
import type { PipelineSetup } from './setup.js';

/**
 * A pipeline's whole state, as JSON-safe data, together with the caller's input positions (file
 * offsets, a queue's acknowledged sequence...). Saved atomically in one piece, it makes a restart
 * resume exactly: nothing read twice is counted twice, nothing acknowledged is lost.
 */
export interface PipelineCheckpoint<Positions = unknown> {
  version: 1;
  analyzer: AnalyzerCheckpoint;
  risk: IncrementalRiskData;
  /** the last revision handed out (a hybrid logical clock: see nextRevision) */
  revision: number;
  /** findings last reported open (a where-filter or tuning change of mind retracts them) */
  shown: string[];
  positions: Positions;
}

export interface StreamOptions<Positions> {
  sinks: StreamSink[];
  /** resume from this state (from `commit`) */
  checkpoint?: PipelineCheckpoint<Positions>;
  /**
   * Where final findings' states are kept (a store): a late update is folded into the kept state
   * and emitted as the whole finding, instead of a `late` upsert holding only the late events.
   */
  closedStates?: ClosedStates;
}

/** The kept final states of findings, by finding id (those it has none for are left out). */
export type ClosedStates = (findingIds: string[]) => Promise<Map<string, SerializedGroupState>>;

/** What changed since the last take: the upserts, and by finding id the finding each finding upsert shows (with its mergeable state once closed). */
export interface TakenUpserts {
  upserts: Upsert[];
  findings: Map<string, { finding: Finding; state?: SerializedGroupState }>;
}

/** What the pipeline did since it started (or was restored): for summaries and health endpoints. */
export interface StreamStats {
  events: number;
  /** events that came after their finding's window had closed: each produced a late update */
  lateEvents: number;
  /** finding groups held in memory */
  openGroups: number;
  /** max event time − allowed lateness, epoch seconds (-Infinity before any event) */
  watermark: number;
  upserts: number;
  /** what the engine's state caps refused (bounded memory), biggest first */
  capsReached: CapOverflow[];
}

/**
 * The run pipeline on an unbounded stream: sources → normalize → detect (windowed findings) →
 * where / tuning → risk events → risk incidents → sinks, as upserts. Feed it inputs, events or
 * partial states; `commit()` emits what changed to every sink and returns the checkpoint to save.
 */
export class StreamPipeline<Positions = unknown> {
  readonly analyzer: Analyzer;
  readonly report = new RunReport();
  private readonly risk: IncrementalRisk;
  private readonly where?: Predicate;
  private readonly tuningFilters: Map<string, Predicate>;
  private readonly shown: Set<string>;
  private revision: number;
  private upserts = 0;
  private readonly scanOptions: ScanOptions;
  /** the entity resolver's version the shown risk objects were named with */
  private entitiesSeen: number;
  /** open changes `gather()` held back for the next take, by finding id */
  private readonly gathered = new Map<string, AnalyzerChange>();

  private constructor(
    readonly setup: PipelineSetup,
    private readonly sinks: StreamSink[],
    checkpoint?: PipelineCheckpoint<Positions>,
    private readonly closedStates?: ClosedStates,
  ) {
    const { config } = setup;
    this.analyzer = new Analyzer(setup.detections, setup.correlations, {
      maxGroupsPerDetection: config.findings.maxGroups,
      windowSeconds: config.findings.windowSeconds,
      allowedLatenessSeconds: config.findings.allowedLatenessSeconds,
      correlationExpiry: 'watermark',
      trackChanges: true,
      evidenceCap: config.findings.evidence,
    });
    const incidentOptions = incidentOptionsOf(setup);
    this.risk = checkpoint ? IncrementalRisk.fromData(checkpoint.risk, incidentOptions) : new IncrementalRisk(incidentOptions);
    if (checkpoint) this.analyzer.restore(checkpoint.analyzer);
    // what a checkpoint restores was shown with these names before it was saved
    this.entitiesSeen = this.analyzer.entities.version;
    this.revision = checkpoint?.revision ?? 0;
    this.shown = new Set(checkpoint?.shown ?? []);
    this.where = setup.where && compilePredicate(setup.where);
    this.tuningFilters = new Map([...setup.tuning].map(([macro, f]) => [macro, compilePredicate(f.expr)]));
    this.scanOptions = { format: config.input.format, maxRecordBytes: config.input.maxRecordBytes, prefilter: setup.prefilter, timeRange: config.input.timeRange, syslogClock: config.input.syslogClock };
  }

  /** A pipeline writing to `sinks` (opened here), fresh or resumed from a checkpoint. */
  static async open<P>(setup: PipelineSetup, options: StreamOptions<P>): Promise<StreamPipeline<P>> {
    for (const sink of options.sinks) await sink.open();
    return new StreamPipeline<P>(setup, options.sinks, options.checkpoint, options.closedStates);
  }

  /**
   * Reads an input (a file's new bytes, a request body: see `bufferInput`) through the sources.
   * With an origin, a batch already ingested is refused (false) and changes nothing. `format`
   * names this input's source when its sender said what it is (a HEC sourcetype).
   */
  async ingest(input: SourceInput, origin?: Origin, format?: SourceName): Promise<boolean> {
    if (origin && this.analyzer.hasMerged(origin)) return false;
    await scanInput(input, this.analyzer, format ? { ...this.scanOptions, format } : this.scanOptions, this.report);
    if (origin) this.analyzer.recordOrigin(origin);
    return true;
  }

  /** Raw events parsed elsewhere (an ingest endpoint's JSON), normalized and detected here. */
  ingestEvents(events: Iterable<RawEvent>, origin?: Origin): boolean {
    if (origin && this.analyzer.hasMerged(origin)) return false;
    for (const raw of events) {
      this.report.countEvent(dataSourceOf(raw) ?? 'unmapped');
      for (const event of normalize(raw, this.analyzer.datasets)) this.analyzer.observe(event);
    }
    if (origin) this.analyzer.recordOrigin(origin);
    return true;
  }

  /** CIM events already normalized (tests, replays) */
  ingestCim(events: Iterable<CimEvent>, origin?: Origin): boolean {
    if (origin && this.analyzer.hasMerged(origin)) return false;
    for (const event of events) this.analyzer.observe(event);
    if (origin) this.analyzer.recordOrigin(origin);
    return true;
  }

  /** A worker's partial state (it must carry its origin: a redelivered one is refused). */
  mergePartials(partials: AnalyzerPartials): boolean {
    return this.analyzer.merge(partials);
  }

  /**
   * Turns everything that changed since the last commit into upserts, hands them to every sink
   * (in order, awaiting each), and returns the checkpoint to save with `positions`. Save it only
   * after this resolves: then a crash at any point either replays the batch from the old
   * positions onto the old state, or finds both new.
   */
  async commit(positions: Positions): Promise<PipelineCheckpoint<Positions>> {
    const { upserts } = await this.take();
    if (upserts.length > 0) for (const sink of this.sinks) await sink.write(upserts);
    return this.checkpoint(positions);
  }

  /**
   * What changed since the last take, for a caller that writes it itself (in one transaction with
   * its positions and `checkpoint()`, as serve does); the sinks get nothing. Changes `gather()`
   * held back are rendered here, each finding once.
   */
  async take(): Promise<TakenUpserts> {
    return this.takeChanges(this.withGathered(this.drainChanges()));
  }

  /**
   * What the analyzer changed since the last call, without rendering it: a caller that must know
   * which findings each input moved (serve's evidence references per journal record) calls this
   * after every input and `take()` once per batch, so a finding that changes with every input is
   * rendered (and its risk recomputed) once per batch, not once per input. Plain open changes wait
   * for the next take, the last of each finding standing for it (an open finding's upsert is the
   * whole finding, and its risk events replace the previous ones). A closed, late or retracted
   * change is order-sensitive (a late update folds into the closed state, which must be taken
   * first): then everything waiting is taken at once, with it, and returned as `taken`.
   */
  async gather(): Promise<{ changes: AnalyzerChange[]; taken?: TakenUpserts }> {
    const changes = this.drainChanges();
    if (changes.every((c) => c.status === 'open' && !c.late && !c.retracted && !c.state)) {
      for (const c of changes) {
        // re-inserted, so the waiting changes keep the order they last changed in
        this.gathered.delete(c.finding.id);
        this.gathered.set(c.finding.id, c);
      }
      return { changes };
    }
    return { changes, taken: await this.takeChanges(this.withGathered(changes)) };
  }

  /** the analyzer's changes, and every open finding again when the entity names changed */
  private drainChanges(): AnalyzerChange[] {
    const changes = this.analyzer.changes();
    if (this.analyzer.entities.version !== this.entitiesSeen) {
      // an agent id or a user's domain became known: the open findings' risk objects are renamed
      this.entitiesSeen = this.analyzer.entities.version;
      const changed = new Set(changes.map((c) => c.finding.id));
      for (const finding of this.analyzer.findings()) if (!changed.has(finding.id)) changes.push({ finding, status: 'open' });
    }
    return changes;
  }

  /** the gathered changes (but for findings `changes` has newer ones of) before `changes`; the gathered are cleared */
  private withGathered(changes: AnalyzerChange[]): AnalyzerChange[] {
    if (this.gathered.size === 0) return changes;
    const newer = new Set(changes.map((c) => c.finding.id));
    const all = [...this.gathered.values()].filter((c) => !newer.has(c.finding.id));
    this.gathered.clear();
    return [...all, ...changes];
  }

  private async takeChanges(changes: AnalyzerChange[]): Promise<TakenUpserts> {
    const findings: TakenUpserts['findings'] = new Map();
    const lateIds = changes.filter((c) => c.late && c.state).map((c) => c.finding.id);
    const kept = this.closedStates && lateIds.length > 0 ? await this.closedStates(lateIds) : undefined;
    const upserts: Upsert[] = [];
    for (let change of changes) {
      const stored = change.late && change.state ? kept?.get(change.finding.id) : undefined;
      if (stored && change.state) {
        const merged = findingWithState(change.finding, stored, change.state, this.setup.config.findings.evidence ?? DEFAULT_EVIDENCE_CAP);
        change = { finding: merged.finding, status: 'closed', late: false, retracted: change.retracted, state: merged.state };
      }
      findings.set(change.finding.id, { finding: change.finding, ...(change.state && { state: change.state }) });
      upserts.push(...this.upsertsOf(change));
    }
    upserts.push(...this.riskChanges());
    this.upserts += upserts.length;
    return { upserts, findings };
  }

  checkpoint(positions: Positions): PipelineCheckpoint<Positions> {
    // a gathered change is drained from the analyzer: a checkpoint saved before its take would lose it on restart
    if (this.gathered.size > 0) throw new Error('checkpoint with gathered changes not taken yet: take() first');
    return {
      version: 1,
      analyzer: this.analyzer.checkpoint(),
      risk: this.risk.toData(),
      revision: this.revision,
      shown: [...this.shown],
      positions,
    };
  }

  stats(): StreamStats {
    const detector = this.analyzer.detector;
    return { events: this.report.events, lateEvents: detector.lateEventCount, openGroups: detector.groupCount, watermark: this.analyzer.watermark, upserts: this.upserts, capsReached: this.analyzer.capsReached() };
  }

  /** flushes nothing more (open windows stay open: a restart from the last checkpoint goes on with them) and closes every sink */
  async close(): Promise<void> {
    for (const sink of this.sinks) await sink.close();
  }

  private riskChanges(): Upsert[] {
    const out: Upsert[] = [];
    // without windows nothing is ever final (a scan-like run over files in any order): no risk object retires either
    const windowed = this.setup.config.findings.windowSeconds !== undefined;
    for (const c of this.risk.changes(windowed ? this.analyzer.watermark : -Infinity)) {
      out.push({ ...c.incident, incident_id: c.incident_id, revision: this.nextRevision(), status: c.status });
    }
    return out;
  }

  /**
   * Revisions are a hybrid logical clock: one more than the last, and never behind the wall clock
   * in microseconds. So they grow across restarts too: after a crash, the upserts of the replayed
   * batch outrank what the lost run printed before it died, and a consumer keeping the highest
   * revision ends with the replayed (correct) state.
   */
  private nextRevision(): number {
    this.revision = Math.max(this.revision + 1, Date.now() * 1000);
    return this.revision;
  }

  /** where-filter, tuning, the upsert, and the finding's risk events */
  private upsertsOf(change: AnalyzerChange): Upsert[] {
    const { finding } = change;
    const late = change.late === true;
    const columns = columnValues(finding);
    const macro = finding.detection.output.filterMacro;
    const filter = macro ? this.tuningFilters.get(macro) : undefined;
    const suppressedBy = filter && !filter(columns) ? macro : undefined;
    const shows = !change.retracted && (!this.where || this.where(columns)) && (!suppressedBy || this.setup.config.findings.showSuppressed);
    const out: Upsert[] = [];
    const record = renderFinding(finding);
    if (shows) {
      if (suppressedBy) record.suppressed_by = suppressedBy;
      out.push(findingUpsert(record, this.nextRevision(), change.status, late));
      if (change.status === 'open') this.shown.add(finding.id);
      else this.shown.delete(finding.id);
    } else if (this.shown.delete(finding.id)) {
      out.push(findingUpsert(record, this.nextRevision(), 'retracted', false));
    }
    const riskEvents = shows && !suppressedBy ? riskEventsOf(finding, record, this.setup.tactics, this.analyzer.entities) : [];
    if (riskEvents.length > 0 || !late) this.risk.update(finding.id, riskEvents, late);
    for (const e of riskEvents) out.push({ kind: 'risk_event', ...e });
    if (change.status === 'closed') this.risk.forget(finding.id);
    return out;
  }
}

function findingUpsert(record: ReturnType<typeof renderFinding>, revision: number, status: FindingUpsert['status'], late: boolean): FindingUpsert {
  return { kind: 'finding', revision, status, ...(late && { late: true }), ...record } as FindingUpsert;
}

/** An in-memory input (an HTTP body, a message payload, new bytes of a file) for `StreamPipeline.ingest`. */
export function bufferInput(name: string, bytes: Buffer): SourceInput {
  return {
    name,
    size: bytes.length,
    async *open() {
      yield bytes;
    },
  };
}
