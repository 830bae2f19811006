import type { TacticTable } from '../rules/mitre.js';
import { EntityResolver } from './entities.js';
import { ctime, type Finding } from './finding.js';
import type { FindingRecord } from './render.js';
import { displayTime } from '../sources/time-zone.js';

/** One record as Enterprise Security writes it to the Risk index: one per (finding, risk object). */
export interface RiskEvent {
  /** the finding's lastTime, epoch seconds (null when the search has no time) */
  _time: number | null;
  /** the entity: a host or user name in its canonical form (see entities.ts) */
  risk_object: string;
  risk_object_type: string;
  /** the spelling the finding had, when it differs from the canonical one */
  risk_object_aliases?: string[];
  risk_score: number;
  risk_message: string;
  search_name: string;
  detection_id: string;
  analytic_story: string[];
  annotations: { mitre_attack: string[]; mitre_tactic: string[] };
  threat_object: string[];
  threat_object_type: string[];
  /** the finding this event came from */
  finding_id: string;
}

/** canonical names without a run's agent ids: for callers that saw no events (and tests) */
const plainNames = new EntityResolver();

export function riskEventsOf(finding: Finding, record: FindingRecord, tactics: TacticTable, entities: EntityResolver = plainNames): RiskEvent[] {
  const d = finding.detection;
  if (d.type === 'Hunting' || !d.risk) return [];
  const time = finding.lastTime ?? finding.firstTime;
  return record.risk_objects.map((o) => ({
    _time: typeof time === 'number' && Number.isFinite(time) ? time : null,
    ...entityOf(entities, o.risk_object_type, o.risk_object),
    risk_score: o.risk_score,
    risk_message: record.risk_message ?? '',
    search_name: d.name,
    detection_id: d.id,
    analytic_story: d.analyticStories,
    annotations: { mitre_attack: d.mitreAttackIds, mitre_tactic: tactics.tacticsOf(d.mitreAttackIds) },
    threat_object: record.threat_objects.map((t) => t.threat_object),
    threat_object_type: record.threat_objects.map((t) => t.threat_object_type),
    finding_id: record.finding_id,
  }));
}

/** a risk object's canonical name, and its spelling as an alias when that differs */
function entityOf(entities: EntityResolver, type: string, value: string): Pick<RiskEvent, 'risk_object' | 'risk_object_type' | 'risk_object_aliases'> {
  const name = entities.canonical(type, value);
  return { risk_object: name, risk_object_type: type, ...(name !== value && { risk_object_aliases: [value] }) };
}

export interface IncidentOptions {
  /** sliding window length, seconds (ES: 24 h) */
  windowSeconds: number;
  /** an incident needs a window total strictly greater than this (ES: `risk_score > 100`) */
  threshold: number;
  /** ...or this many distinct ATT&CK tactics within one window */
  minTactics: number;
}

export const defaultIncidentOptions: IncidentOptions = { windowSeconds: 24 * 3600, threshold: 100, minTactics: 3 };

/** Risk events of one object that, within one window, exceeded the score threshold or spanned enough tactics. */
export interface RiskIncident {
  kind: 'risk_incident';
  risk_object: string;
  risk_object_type: string;
  /** the other spellings of the risk object in the incident's events (always written; absent in incidents stored before) */
  risk_object_aliases?: string[];
  /** the highest total of any window in the incident */
  risk_score: number;
  reasons: Array<'score' | 'tactics'>;
  firstTime: string;
  lastTime: string;
  risk_event_count: number;
  search_names: string[];
  mitre_tactics: string[];
  finding_ids: string[];
}

/**
 * Slides a window over each risk object's events in time order. Overlapping windows that fire
 * form one incident (one per burst, not one per event); events without a time are left out.
 */
export function riskIncidents(events: RiskEvent[], options: IncidentOptions = defaultIncidentOptions): RiskIncident[] {
  const byObject = new Map<string, RiskEvent[]>();
  for (const e of events) {
    if (e._time === null) continue;
    const key = riskObjectKey(e);
    const list = byObject.get(key);
    if (list) list.push(e);
    else byObject.set(key, [e]);
  }
  const incidents: RiskIncident[] = [];
  for (const list of byObject.values()) incidents.push(...objectIncidents(list, options));
  return sortIncidents(incidents);
}

/** the incidents of one risk object's events (timeless events left out), in time order */
export function objectIncidents(events: RiskEvent[], options: IncidentOptions): RiskIncident[] {
  const timed = events.filter((e) => e._time !== null).sort((a, b) => (a._time as number) - (b._time as number));
  return incidentsOfObject(timed, options);
}

/** incidents in output order: highest score first, then by first time and risk object */
export function sortIncidents(incidents: RiskIncident[]): RiskIncident[] {
  return incidents.sort(
    (a, b) =>
      b.risk_score - a.risk_score ||
      (a.firstTime < b.firstTime ? -1 : a.firstTime > b.firstTime ? 1 : 0) ||
      (a.risk_object < b.risk_object ? -1 : a.risk_object > b.risk_object ? 1 : 0) ||
      (a.risk_object_type < b.risk_object_type ? -1 : a.risk_object_type > b.risk_object_type ? 1 : 0),
  );
}

/** the key that groups risk events of one object */
export function riskObjectKey(e: Pick<RiskEvent, 'risk_object_type' | 'risk_object'>): string {
  return `${e.risk_object_type}\u0000${e.risk_object}`;
}

interface Episode {
  first: number;
  last: number;
  maxScore: number;
  reasons: Set<'score' | 'tactics'>;
}

function incidentsOfObject(events: RiskEvent[], options: IncidentOptions): RiskIncident[] {
  const episodes: Episode[] = [];
  const tacticCounts = new Map<string, number>();
  let sum = 0;
  let left = 0;
  for (let right = 0; right < events.length; right++) {
    sum += events[right].risk_score;
    for (const t of events[right].annotations.mitre_tactic) tacticCounts.set(t, (tacticCounts.get(t) ?? 0) + 1);
    while ((events[right]._time as number) - (events[left]._time as number) > options.windowSeconds) {
      sum -= events[left].risk_score;
      for (const t of events[left].annotations.mitre_tactic) {
        const n = (tacticCounts.get(t) ?? 1) - 1;
        if (n === 0) tacticCounts.delete(t);
        else tacticCounts.set(t, n);
      }
      left++;
    }
    const reasons: Array<'score' | 'tactics'> = [];
    if (sum > options.threshold) reasons.push('score');
    if (tacticCounts.size >= options.minTactics) reasons.push('tactics');
    if (reasons.length === 0) continue;
    const current = episodes[episodes.length - 1];
    if (current && left <= current.last) {
      current.last = right;
      current.maxScore = Math.max(current.maxScore, sum);
      reasons.forEach((r) => current.reasons.add(r));
    } else {
      episodes.push({ first: left, last: right, maxScore: sum, reasons: new Set(reasons) });
    }
  }
  return episodes.map((ep) => toIncident(events.slice(ep.first, ep.last + 1), ep));
}

function toIncident(events: RiskEvent[], ep: Episode): RiskIncident {
  const distinct = (values: string[]) => [...new Set(values)].sort();
  return {
    kind: 'risk_incident',
    risk_object: events[0].risk_object,
    risk_object_type: events[0].risk_object_type,
    risk_object_aliases: distinct(events.flatMap((e) => e.risk_object_aliases ?? [])),
    risk_score: ep.maxScore,
    reasons: (['score', 'tactics'] as const).filter((r) => ep.reasons.has(r)),
    firstTime: ctime(events[0]._time as number),
    lastTime: ctime(events[events.length - 1]._time as number),
    risk_event_count: events.length,
    search_names: distinct(events.map((e) => e.search_name)),
    mitre_tactics: distinct(events.flatMap((e) => e.annotations.mitre_tactic)),
    finding_ids: distinct(events.map((e) => e.finding_id)),
  };
}

/** The incident rule in words, as the table and the HTML report state it. */
export function incidentRule(options: IncidentOptions): string {
  return `score > ${options.threshold} or >= ${options.minTactics} ATT&CK tactics within ${options.windowSeconds / 3600} h`;
}

/** A terminal table of incidents, printed after the findings; times in `timeZone` (default UTC). */
export function formatIncidentTable(incidents: RiskIncident[], options: IncidentOptions, timeZone?: string): string {
  const rule = incidentRule(options);
  if (incidents.length === 0) return `No risk incidents (${rule}).\n`;
  const header = ['risk_object', 'type', 'score', 'events', `firstTime (${timeZone ?? 'UTC'})`, `lastTime (${timeZone ?? 'UTC'})`, 'reasons', 'tactics', 'detections', 'also seen as'];
  const rows = incidents.map((i) => [
    i.risk_object, i.risk_object_type, String(i.risk_score), String(i.risk_event_count), displayTime(i.firstTime, timeZone), displayTime(i.lastTime, timeZone),
    i.reasons.join('+'), i.mitre_tactics.join(', '), i.search_names.join('; '), (i.risk_object_aliases ?? []).join('; '),
  ]);
  const widths = header.map((h, k) => rows.reduce((w, r) => Math.max(w, r[k].length), h.length));
  const line = (cells: string[]) => `  ${cells.map((c, k) => c.padEnd(widths[k])).join('  ')}`.trimEnd();
  return `Risk incidents (${rule}): ${incidents.length}\n${[line(header), ...rows.map(line)].join('\n')}\n`;
}
