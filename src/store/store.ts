import type { FindingRecord } from '../engine/render.js';
import type { RiskEvent, RiskIncident } from '../engine/risk.js';

/**
 * The findings store: one contract, one file per database (`sqlite.ts`, `postgres.ts`), picked by
 * `openStore` in `registry.ts`. Writers (the serve processor, later NATS workers) commit findings,
 * their evidence, risk and a consumer checkpoint in ONE transaction; readers (API, `findings`
 * export, dashboard) page, filter and triage.
 */

export const triageStatuses = ['new', 'in_progress', 'pending', 'resolved', 'closed'] as const;
export const urgencies = ['informational', 'low', 'medium', 'high', 'critical'] as const;
export const dispositions = ['true_positive', 'benign_positive', 'false_positive', 'undetermined', 'duplicate'] as const;
export type TriageStatus = (typeof triageStatuses)[number];
export type Urgency = (typeof urgencies)[number];
export type Disposition = (typeof dispositions)[number];

export interface Triage {
  status: TriageStatus;
  owner: string | null;
  urgency: Urgency;
  disposition: Disposition | null;
}

/**
 * A finding's full current state, as the pipeline emits it. Upserts are idempotent: a row is
 * replaced only by a higher `revision`, so a redelivered or stale upsert changes nothing.
 */
export interface FindingUpsert {
  record: FindingRecord;
  revision: number;
  /** epoch seconds, for time filters and sorting (the record's ctime strings are for people) */
  firstTime: number | null;
  lastTime: number | null;
  /** a final finding's mergeable state (JSON), kept to fold late updates into; absent: the kept one stays */
  state?: string;
}

/** Where one contributing event came from (HEC channel/sourcetype/host, syslog peer, or file and line). */
export interface EventRef {
  findingId: string;
  /** stable identity of the event within its origin (e.g. `journal:<offset>:<line>`): the pair is stored once */
  ref: string;
  origin: Record<string, string | number>;
}

/** Everything one processing step produced, committed atomically with the consumer's position. */
export interface StoreCommit {
  findings: FindingUpsert[];
  eventRefs?: EventRef[];
  /** risk events of these findings; replace what was stored for each finding id listed */
  riskEvents?: Array<{ findingId: string; events: RiskEvent[] }>;
  /** the complete current set of risk incidents (small: computed from all risk events) */
  incidents?: RiskIncident[];
  /** incidents that appeared or changed (upserted by id) or no longer exist (`retracted`: deleted) */
  incidentChanges?: Array<{ id: string; status: 'open' | 'closed' | 'retracted'; incident: RiskIncident }>;
  /** findings the pipeline no longer shows (a row filter or tuning changed its mind): their risk events are deleted; the finding and its triage stay */
  retracted?: string[];
  checkpoint?: Checkpoint;
}

/** A consumer's durable position (journal offset, stream sequence) and its opaque resume state. */
export interface Checkpoint {
  consumer: string;
  position: number;
  state: string;
}

export type SortKey = 'last_time' | 'first_time' | 'urgency' | 'count' | 'risk_score' | 'search_name' | 'updated_at';

/** Filters shared by the list, the count and the bulk triage ("all matching"). */
export interface FindingFilter {
  ids?: string[];
  /** detection id or search name */
  detection?: string[];
  story?: string;
  /** ATT&CK technique; T1090 also matches T1090.002 */
  technique?: string;
  host?: string;
  user?: string;
  status?: TriageStatus[];
  /** an owner name, or null for unassigned */
  owner?: string | null;
  urgency?: Urgency[];
  /** dispositions; null in the list matches findings without one */
  disposition?: Array<Disposition | null>;
  /** lastTime range, epoch seconds */
  from?: number;
  to?: number;
  /** case-insensitive substring over every field of the finding */
  text?: string;
  /** findings whose kept evidence came from this source (file or ingest channel), and this record or line */
  evidence?: { source: string; record?: number; line?: number };
}

export interface FindingQuery extends FindingFilter {
  sort?: SortKey;
  descending?: boolean;
  limit?: number;
  offset?: number;
}

export interface StoredFinding {
  record: FindingRecord;
  revision: number;
  triage: Triage;
  firstTime: number | null;
  lastTime: number | null;
  /** ISO-8601 of the last change by the pipeline */
  updatedAt: string;
}

export interface HistoryEntry {
  at: string;
  actor: string;
  /** `status`, `owner`, `urgency`, `disposition`, or `comment` */
  field: string;
  oldValue: string | null;
  newValue: string | null;
  comment: string | null;
}

export interface FindingDetail extends StoredFinding {
  history: HistoryEntry[];
  events: Array<{ ref: string; origin: Record<string, string | number> }>;
  riskEvents: RiskEvent[];
}

export interface TriageChange {
  status?: TriageStatus;
  owner?: string | null;
  urgency?: Urgency;
  disposition?: Disposition | null;
  comment?: string;
}

export interface RiskObjectSummary {
  risk_object: string;
  risk_object_type: string;
  risk_score: number;
  risk_event_count: number;
  detections: string[];
  tactics: string[];
  incident: boolean;
  firstTime: number | null;
  lastTime: number | null;
}

export interface FindingStore {
  /** `sqlite` or `postgres` */
  readonly kind: string;
  /** a display form of where the data lives (never a password) */
  readonly location: string;
  commit(commit: StoreCommit): Promise<void>;
  checkpoint(consumer: string): Promise<Checkpoint | undefined>;
  /** the kept states of these findings (those without one are left out) */
  findingStates(ids: string[]): Promise<Map<string, string>>;
  listFindings(query: FindingQuery): Promise<{ items: StoredFinding[]; total: number }>;
  getFinding(id: string): Promise<FindingDetail | undefined>;
  /** applies one change to every finding matching `filter`; each changed field is written to the history; returns how many findings matched */
  triage(filter: FindingFilter, change: TriageChange, actor: string): Promise<number>;
  riskObjects(query: { from?: number; to?: number; limit?: number; offset?: number }): Promise<{ items: RiskObjectSummary[]; total: number }>;
  riskEventsOf(riskObject: string, riskObjectType?: string, limit?: number): Promise<RiskEvent[]>;
  incidents(): Promise<RiskIncident[]>;
  close(): Promise<void>;
}

/** Raised for a request the store refuses (unknown value, bad filter): the API answers 400 with it. */
export class StoreInputError extends Error {}

/** The urgency a new finding starts with, from its highest risk score (analysts override it). */
export function initialUrgency(record: FindingRecord): Urgency {
  const score = Math.max(0, ...record.risk_objects.map((o) => o.risk_score));
  if (record.risk_objects.length === 0) return 'informational';
  return score >= 80 ? 'critical' : score >= 60 ? 'high' : score >= 40 ? 'medium' : 'low';
}
