// The serve API the dashboard reads (docs/server-api.md). Same origin only: the session is an
// HttpOnly cookie set by POST /api/session, so no token is ever kept in script-readable storage.
import type { MatchedValues } from '../../src/engine/matched-values.js';
import type { RiskEvent } from '../../src/engine/risk.js';
import type { FindingRecord, RiskIncident } from '../shared/model.js';
/** The API's own shapes, as the store defines them (type-only: nothing of the server is bundled). */
import type { HistoryEntry, RiskObjectSummary, TriageChange } from '../../src/store/store.js';

export const triageStatuses = ['new', 'in_progress', 'pending', 'resolved', 'closed'] as const;
export const urgencies = ['informational', 'low', 'medium', 'high', 'critical'] as const;
export const dispositions = ['true_positive', 'benign_positive', 'false_positive', 'undetermined', 'duplicate'] as const;

export interface Triage {
  status: (typeof triageStatuses)[number];
  owner: string | null;
  urgency: (typeof urgencies)[number];
  disposition: (typeof dispositions)[number] | null;
}

export type ApiFinding = FindingRecord & { triage: Triage; revision: number; updated_at: string };

/** risk events as the store keeps them: the records `scan --risk-out` writes */
export type RiskEventRow = RiskEvent;
export type { RiskObjectSummary, TriageChange };

export type FindingDetail = ApiFinding & {
  history: HistoryEntry[];
  events: Array<{ ref: string; origin: Record<string, string | number> }>;
  risk_events: RiskEventRow[];
  /** column -> [value index, start, end) of what the detection's condition matched */
  matched: MatchedValues;
};

/** Raised when the API answers 401; the app listens for SIGN_IN_EVENT and shows the sign-in form. */
export class SignInNeeded extends Error {}
export const SIGN_IN_EVENT = 'tunnelwatch:sign-in';

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) {
    dispatchEvent(new Event(SIGN_IN_EVENT));
    throw new SignInNeeded('sign in with a tunnelwatch token');
  }
  const payload = (await response.json().catch(() => ({}))) as T & { error?: string };
  if (!response.ok) throw new Error(payload.error ?? `${method} ${path}: HTTP ${response.status}`);
  return payload;
}

export const api = {
  signIn: (token: string) => call<{ ok: true }>('POST', '/api/session', { token }),
  findings: (params: URLSearchParams) => call<{ items: ApiFinding[]; total: number }>('GET', `/api/findings?${params}`),
  finding: (id: string) => call<FindingDetail>('GET', `/api/findings/${encodeURIComponent(id)}`),
  triageOne: (id: string, change: TriageChange) => call<ApiFinding>('PATCH', `/api/findings/${encodeURIComponent(id)}`, change),
  triageIds: (ids: string[], change: TriageChange) => call<{ matched: number }>('POST', '/api/findings/triage', { ids, change }),
  triageMatching: (filter: Record<string, string>, change: TriageChange) => call<{ matched: number }>('POST', '/api/findings/triage', { filter, change }),
  riskObjects: (params: URLSearchParams) => call<{ items: RiskObjectSummary[]; total: number }>('GET', `/api/risk?${params}`),
  riskEvents: (type: string, object: string, limit: number) =>
    call<{ items: RiskEventRow[]; more: boolean }>('GET', `/api/risk/${encodeURIComponent(type)}/${encodeURIComponent(object)}?limit=${limit}`),
  incidents: () => call<{ items: RiskIncident[] }>('GET', '/api/incidents'),
  previewTuning: (findingId: string, spl?: string) => call<TuningPreview>('POST', '/api/tuning/preview', { finding_id: findingId, ...(spl !== undefined && { spl }) }),
  saveTuning: (findingId: string, spl: string) => call<TuningPreview>('POST', '/api/tuning', { finding_id: findingId, spl }),
};

/** a drafted (or edited) filter-macro entry and what it would suppress among the stored findings of its detection */
export interface TuningPreview {
  macro: string;
  spl: string;
  file: string;
  suppressed: number;
  total: number;
  examples: string[];
}
