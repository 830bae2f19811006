import type { FindingRecord } from '../engine/render.js';
import type { RiskEvent, RiskIncident } from '../engine/risk.js';

/**
 * What a streaming run emits. Every upsert names what it updates (`finding_id`, `incident_id`)
 * and carries a `revision` that grows with every upsert of it, so a consumer keeps, per id, the
 * upsert with the highest revision (an upsert seen again after a restart has the same content).
 */
export type FindingUpsert = {
  kind: 'finding';
  revision: number;
  /**
   * `open`: its window may still change. `closed`: final (the watermark passed its window end).
   * `retracted`: a row filter or tuning no longer keeps it; forget it.
   */
  status: 'open' | 'closed' | 'retracted';
  /**
   * Events that came after the finding's window had closed: this upsert holds only them (count,
   * times, values), to be merged into the stored finding (count adds, firstTime min, lastTime max).
   */
  late?: true;
} & FindingRecord;

export type IncidentUpsert = {
  incident_id: string;
  revision: number;
  status: 'open' | 'closed' | 'retracted';
} & RiskIncident;

/** A risk event as Enterprise Security writes it, each time its finding changes. */
export type RiskEventUpsert = { kind: 'risk_event' } & RiskEvent;

export type Upsert = FindingUpsert | IncidentUpsert | RiskEventUpsert;

/**
 * A streaming output: stdout JSONL, a file, a store, a webhook. `write` gets each committed batch
 * of upserts in order and resolves once they are durable (or handed on) as far as the sink can
 * tell: the pipeline checkpoints its input positions only after every sink's write resolved.
 */
export interface StreamSink {
  open(): Promise<void>;
  write(upserts: readonly Upsert[]): Promise<void>;
  /** flushes and releases; no write follows */
  close(): Promise<void>;
}
