import { EntityResolver } from './entities.js';
import type { RiskEvent } from './risk.js';
import { ctime } from './finding.js';

export interface RiskQuery {
  /** risk object values (case-insensitive); empty: every object */
  objects: string[];
  /** epoch seconds, inclusive */
  from?: number;
  to?: number;
}

/** ESCU's risk drilldown: per risk object, what the Risk index says about it over a period. */
export interface RiskObjectSummary {
  risk_object: string;
  risk_object_type: string;
  /** every other spelling of the object in its events */
  risk_object_aliases: string[];
  count: number;
  risk_score: number;
  firstTime: string;
  lastTime: string;
  search_names: string[];
  risk_messages: string[];
  analytic_stories: string[];
  mitre_tactics: string[];
}

export function summarizeRisk(events: RiskEvent[], query: RiskQuery): RiskObjectSummary[] {
  // risk events written by older versions name objects as the logs spelled them: fold them here too
  const entities = new EntityResolver();
  const canonical = (e: RiskEvent) => entities.canonical(e.risk_object_type, e.risk_object);
  const wanted = new Set(query.objects.flatMap((o) => [o.toLowerCase(), entities.canonical('system', o), entities.canonical('user', o)]));
  const groups = new Map<string, RiskEvent[]>();
  for (const e of events) {
    if (wanted.size > 0 && !wanted.has(e.risk_object.toLowerCase()) && !wanted.has(canonical(e))) continue;
    const t = e._time ?? NaN;
    if ((query.from !== undefined && !(t >= query.from)) || (query.to !== undefined && !(t <= query.to))) continue;
    const key = `${e.risk_object_type}\u0000${canonical(e)}`;
    const list = groups.get(key);
    if (list) list.push(e);
    else groups.set(key, [e]);
  }
  const distinct = (values: string[]) => [...new Set(values)].sort();
  return [...groups.values()]
    .map((list) => {
      const times = list.map((e) => e._time).filter((t): t is number => t !== null);
      const name = canonical(list[0]);
      return {
        risk_object: name,
        risk_object_type: list[0].risk_object_type,
        risk_object_aliases: distinct(list.flatMap((e) => [e.risk_object, ...(e.risk_object_aliases ?? [])]).filter((a) => a !== name)),
        count: list.length,
        risk_score: list.reduce((sum, e) => sum + e.risk_score, 0),
        firstTime: times.length ? ctime(times.reduce((a, b) => Math.min(a, b))) : '',
        lastTime: times.length ? ctime(times.reduce((a, b) => Math.max(a, b))) : '',
        search_names: distinct(list.map((e) => e.search_name)),
        risk_messages: distinct(list.map((e) => e.risk_message)),
        analytic_stories: distinct(list.flatMap((e) => e.analytic_story)),
        mitre_tactics: distinct(list.flatMap((e) => e.annotations?.mitre_tactic ?? [])),
      };
    })
    .sort((a, b) => b.risk_score - a.risk_score || (a.risk_object < b.risk_object ? -1 : 1));
}

/** Accepts what `scan --risk-out` writes; anything else is a reason, never an exception. */
export function parseRiskEvent(line: string): RiskEvent | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return `not JSON: ${(error as Error).message}`;
  }
  const e = value as Partial<RiskEvent> | null;
  if (!e || typeof e !== 'object' || typeof e.risk_object !== 'string' || typeof e.risk_score !== 'number' || typeof e.search_name !== 'string') {
    return 'not a risk event (needs risk_object, risk_score, search_name)';
  }
  return {
    ...e,
    _time: typeof e._time === 'number' ? e._time : null,
    risk_object_type: e.risk_object_type ?? 'other',
    risk_message: e.risk_message ?? '',
    analytic_story: Array.isArray(e.analytic_story) ? e.analytic_story : [],
    annotations: { mitre_attack: e.annotations?.mitre_attack ?? [], mitre_tactic: e.annotations?.mitre_tactic ?? [] },
  } as RiskEvent;
}
