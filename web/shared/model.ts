// Pure helpers over findings as every sink writes them (FindingRecord): shared by the HTML report
// and the dashboard, so both name hosts, users and times the same way.
import type { FindingRecord } from '../../src/engine/render.js';

export type { FindingRecord };
export type { RiskIncident } from '../../src/engine/risk.js';

/** One contributing event as issue 19's `evidence` lists it; every field optional. */
export interface EvidenceRef {
  source?: string;
  record?: number;
  line?: number;
  offset?: number;
  time?: string;
  event_code?: string | number;
  channel?: string;
  [field: string]: unknown;
}

/** The columns shown as the finding's own headline, not repeated in its field table. */
export const HEADLINE_KEYS = new Set([
  'finding_id', 'search_name', 'detection_id', 'detection_version', 'detection_type', 'analytic_story', 'mitre_attack_id',
  'count', 'firstTime', 'lastTime', 'risk_message', 'risk_objects', 'threat_objects', 'drilldowns', 'suppressed_by', 'evidence', 'evidence_count',
  // what the serve API adds around a finding (shown in their own places)
  'kind', 'triage', 'revision', 'updated_at', 'history', 'events', 'risk_events',
]);

const HOST_COLUMNS = ['dest', 'dvc', 'host', 'src'];

/** The host a finding is about: its `system` risk object, else the first host-like column. */
export function hostOf(f: FindingRecord): string {
  const system = f.risk_objects.find((o) => o.risk_object_type === 'system');
  if (system) return system.risk_object;
  for (const column of HOST_COLUMNS) {
    const text = entityText(f[column]);
    if (text) return text;
  }
  return '';
}

export function userOf(f: FindingRecord): string {
  return f.risk_objects.find((o) => o.risk_object_type === 'user')?.risk_object ?? entityText(f.user);
}

/** A finding's risk: the highest score among its risk objects (0 without risk). */
export function riskOf(f: FindingRecord): number {
  return f.risk_objects.reduce((max, o) => Math.max(max, o.risk_score), 0);
}

/** The sum over its risk objects: what the store sorts the queue's risk column by. */
export function riskTotal(f: FindingRecord): number {
  return f.risk_objects.reduce((sum, o) => sum + o.risk_score, 0);
}

export function evidenceOf(f: FindingRecord): EvidenceRef[] {
  const evidence = (f as Record<string, unknown>).evidence;
  return Array.isArray(evidence) ? (evidence.filter((e) => e !== null && typeof e === 'object') as EvidenceRef[]) : [];
}

/** ESCU fills missing BY values with the text `null` (fillnull): that names no entity. */
function entityText(value: unknown): string {
  const text = textOf(value);
  return text === 'null' ? '' : text;
}

/** A cell value as text: lists joined one per line, objects as `key=value` pairs. */
export function textOf(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map(textOf).join('\n');
  if (typeof value === 'object') return Object.entries(value).map(([k, v]) => `${k}=${textOf(v)}`).join(' ');
  return String(value);
}

/** `security_content_ctime` text (UTC, no zone) or ISO-8601 -> epoch seconds; NaN when absent. */
export function epochOf(time: string | undefined): number {
  if (!time) return Number.NaN;
  return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(time) ? time : `${time}Z`) / 1000;
}

export function findingTime(f: FindingRecord): number {
  const first = epochOf(f.firstTime);
  return Number.isNaN(first) ? epochOf(f.lastTime) : first;
}

/** Findings in time order (first seen, then detection); findings without time last. */
export function byTime(findings: FindingRecord[]): FindingRecord[] {
  return [...findings].sort((a, b) => {
    const ta = findingTime(a);
    const tb = findingTime(b);
    if (Number.isNaN(ta) !== Number.isNaN(tb)) return Number.isNaN(ta) ? 1 : -1;
    return ta - tb || a.search_name.localeCompare(b.search_name);
  });
}

export interface Tally {
  label: string;
  findings: number;
  events: number;
}

/** Findings and events per label (a finding with several labels counts once under each), most first. */
export function tally(findings: FindingRecord[], labelsOf: (f: FindingRecord) => string[]): Tally[] {
  const rows = new Map<string, Tally>();
  for (const f of findings) {
    for (const label of new Set(labelsOf(f))) {
      const row = rows.get(label) ?? { label, findings: 0, events: 0 };
      row.findings += 1;
      row.events += f.count;
      rows.set(label, row);
    }
  }
  return [...rows.values()].sort((a, b) => b.findings - a.findings || b.events - a.events || a.label.localeCompare(b.label));
}

/** Distinguishable colours (Okabe-Ito and Tableau), assigned to detections in a stable order. */
const PALETTE = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#7f3c8d', '#3969ac', '#a5aa99', '#e73f74', '#11a579', '#f2b701'];

export function colourMap(names: string[]): Map<string, string> {
  return new Map([...new Set(names)].sort().map((name, i) => [name, PALETTE[i % PALETTE.length]]));
}

/** Epoch seconds as `YYYY-MM-DD HH:MM:SS` UTC. */
export function formatTime(epochSeconds: number): string {
  if (!Number.isFinite(epochSeconds)) return '';
  return new Date(epochSeconds * 1000).toISOString().slice(0, 19).replace('T', ' ');
}
