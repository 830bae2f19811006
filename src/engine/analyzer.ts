import type { CimEvent, DatasetName } from '../cim/model.js';
import { families } from '../families/registry.js';
import type { BoundCorrelation } from '../rules/correlation.js';
import type { Detection } from '../rules/detection.js';
import { Correlator, type AnyCorrelationPartial } from './correlator.js';
import { Detector, type DetectorClock, type FindingChange, type PartialFinding } from './detector.js';
import { EntityResolver } from './entities.js';
import type { Finding } from './finding.js';
import { OriginLedger, type Origin, type OriginLedgerData } from './origin-ledger.js';
import { LoweredFields } from './predicate.js';
import { CapTally, type CapOverflow } from '../diagnostics/cap-tally.js';
import { HeapGuard } from './heap-guard.js';
import type { TableStore } from './saved-tables.js';

export interface AnalyzerOptions {
  /** the count cap of every state (--max-groups): groups per detection, keys and findings per correlation, entity names */
  maxGroupsPerDetection?: number;
  /** how correlation state is bounded: `cap` (default) for scans of files, `watermark` for a time-ordered stream */
  correlationExpiry?: 'watermark' | 'cap';
  /** UTC-aligned finding windows of this many seconds; undefined: one window for the whole run */
  windowSeconds?: number;
  /** how far behind the newest event time a window stays open (the watermark's lag), seconds */
  allowedLatenessSeconds?: number;
  /** streams: report changed findings through `changes()` and free closed windows */
  trackChanges?: boolean;
  /** contributing events kept as evidence per finding (per correlation step); the total is always counted */
  evidenceCap?: number;
  /**
   * false: open new state however full the heap is. For scan threads, whose capped heaps may die:
   * the main thread then scans their pieces again under its own guard, and nothing is refused early.
   */
  guardHeap?: boolean;
  /** where the detector's candidate indexes are kept between runs over the same detections */
  indexTables?: TableStore;
}

/** Everything a worker ships back: merges order-free into another Analyzer's state. */
export interface AnalyzerPartials {
  /** who produced this state and which of its batches it is: the same origin is merged once */
  origin?: Origin;
  detections: PartialFinding[];
  correlations: AnyCorrelationPartial[];
  /** CrowdStrike agent ids and the host names events gave them (one entity per host) */
  agentHosts?: Array<[agentId: string, host: string]>;
  /** domain-qualified user names seen (a bare name joins its one domain) */
  users?: string[];
  /** what this state's caps refused (CapTally entries): the merged run reports it all */
  caps?: Array<[string, number]>;
}

/** An analyzer's whole state as JSON-safe data: restored, it goes on exactly where it was. */
export interface AnalyzerCheckpoint {
  partials: AnalyzerPartials;
  clock: DetectorClock;
  ledger: OriginLedgerData;
}

/** A finding that changed, from a detection (windowed) or a correlation. */
export type AnalyzerChange = Pick<FindingChange, 'finding' | 'status'> & Partial<Pick<FindingChange, 'late' | 'retracted' | 'state'>>;

/**
 * The detect stage as the pipeline sees it: detections (grouped findings) and correlations
 * (per-process sequences) fed from one event stream, with one mergeable state.
 */
export class Analyzer {
  readonly detector: Detector;
  readonly correlator: Correlator;
  /** datasets some detection or correlation reads; other datasets need not be normalized */
  readonly datasets: ReadonlySet<DatasetName>;
  /** host and user names folded to one entity each, agent ids resolved from the events seen */
  readonly entities: EntityResolver;
  /** what every cap of the engine refused, this analyzer's own and that of the states merged in */
  private readonly caps = new CapTally();
  private readonly lateness: number;
  private ledger = new OriginLedger();

  constructor(detections: Detection[], correlations: BoundCorrelation[], options: AnalyzerOptions = {}) {
    const trackChanges = options.trackChanges === true;
    const { evidenceCap, maxGroupsPerDetection: cap } = options;
    // one guard: all state shares one heap
    const limits = { caps: this.caps, heap: new HeapGuard(options.guardHeap === false ? Infinity : undefined) };
    this.detector = new Detector(detections, { maxGroupsPerDetection: cap, windowSeconds: options.windowSeconds, trackChanges, evidenceCap, indexTables: options.indexTables, ...limits });
    this.correlator = new Correlator(correlations, { expiry: options.correlationExpiry ?? 'cap', trackChanges, evidenceCap, maxKeys: cap, maxFindings: cap, ...limits });
    this.entities = new EntityResolver(this.caps, cap);
    this.datasets = new Set([...this.detector.datasets, ...this.correlator.datasets]);
    this.lateness = options.allowedLatenessSeconds ?? 0;
  }

  observe(event: CimEvent): void {
    const raw = event.raw;
    const agent = raw === undefined ? undefined : families.agentHost(raw);
    if (agent !== undefined) this.entities.observeAgent(agent.agent, agent.host);
    const user = event.fields.user;
    if (typeof user === 'string' && user.includes('\\')) this.entities.observeUser(user);
    const lowered = new LoweredFields(event.fields);
    this.detector.observe(event, lowered);
    this.correlator.observe(event, lowered);
  }

  partials(origin?: Origin): AnalyzerPartials {
    const agentHosts = this.entities.agentHosts();
    const users = this.entities.qualifiedUsers();
    const caps = this.caps.entries();
    return {
      ...(origin && { origin }),
      detections: this.detector.partials(),
      correlations: this.correlator.partials(),
      ...(agentHosts.length > 0 && { agentHosts }),
      ...(users.length > 0 && { users }),
      ...(caps.length > 0 && { caps }),
    };
  }

  /**
   * This batch's partial state, then an empty analyzer again, with its compiled rules kept: a
   * consumer of many small batches (bus messages) ships each batch's state alone without paying
   * for a new analyzer per batch.
   */
  drain(origin?: Origin): AnalyzerPartials {
    const partials = this.partials(origin);
    this.detector.clear();
    this.correlator.clear();
    this.entities.clear();
    // shipped with this partial state: counting them again with the next one would double them
    this.caps.clear();
    return partials;
  }

  /**
   * Folds another analyzer's partial state in. Idempotent per origin: a partial whose origin was
   * already merged (a redelivered message, a retried batch) changes nothing; returns whether it was merged.
   */
  merge(partials: AnalyzerPartials): boolean {
    if (partials.origin && !this.ledger.add(partials.origin)) return false;
    this.detector.merge(partials.detections);
    this.correlator.merge(partials.correlations);
    this.entities.merge(partials);
    this.caps.merge(partials.caps);
    return true;
  }

  /** whether this origin's state was already merged */
  hasMerged(origin: Origin): boolean {
    return this.ledger.has(origin);
  }

  /** records an origin applied by other means (events fed through observe()), so a redelivery is refused */
  recordOrigin(origin: Origin): boolean {
    return this.ledger.add(origin);
  }

  /** max event time seen minus the allowed lateness: windows ending at or before it are closed */
  get watermark(): number {
    return this.detector.newestTime - this.lateness;
  }

  /** findings changed since the last call, and findings of windows the watermark closed (final, freed) */
  changes(): AnalyzerChange[] {
    return [...this.detector.changes(this.watermark), ...this.correlator.changes()];
  }

  checkpoint(): AnalyzerCheckpoint {
    return { partials: this.partials(), clock: this.detector.clock(), ledger: this.ledger.toData() };
  }

  /** puts a checkpoint's state into this (new, empty) analyzer */
  restore(checkpoint: AnalyzerCheckpoint): void {
    this.detector.merge(checkpoint.partials.detections);
    this.correlator.merge(checkpoint.partials.correlations);
    this.entities.merge(checkpoint.partials);
    this.caps.merge(checkpoint.partials.caps);
    this.detector.restoreClock(checkpoint.clock);
    this.ledger = OriginLedger.fromData(checkpoint.ledger);
    // restoring is not a change: what the state holds was reported before the checkpoint
    this.detector.changes(-Infinity);
    this.correlator.changes();
  }

  /** what the caps refused (bounded memory), biggest first: a run reports each */
  capsReached(): CapOverflow[] {
    return this.caps.overflows();
  }

  /** detection findings then correlation findings, each in their deterministic order */
  findings(): Finding[] {
    return [...this.detector.findings(), ...this.correlator.findings()];
  }
}
