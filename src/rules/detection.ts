import { EVENT_BY, type ContentError, type OutputSettings, type SearchPlan } from './search-plan.js';

export const detectionTypes = ['Anomaly', 'Hunting', 'TTP', 'Correlation'] as const;
export type DetectionType = (typeof detectionTypes)[number];

export interface RiskObjectSpec {
  field: string;
  type: string;
  score: number;
}

export interface ThreatObjectSpec {
  field: string;
  type: string;
}

export interface RiskSpec {
  /** message template with `$field$` tokens, rendered per finding */
  message: string;
  riskObjects: RiskObjectSpec[];
  threatObjects: ThreatObjectSpec[];
}

export interface Drilldown {
  name: string;
  search: string;
  earliestOffset?: string;
  latestOffset?: string;
}

export interface AttackDataRef {
  /** path relative to the content root */
  data: string;
  source?: string;
  sourcetype?: string;
}

export interface DetectionTest {
  name: string;
  attackData: AttackDataRef[];
  expected?: {
    findings: number;
    rows: Array<Record<string, string | number>>;
  };
}

/** What detections and correlations share: risk, annotations, tests. */
export interface ContentMetadata {
  risk?: RiskSpec;
  analyticStories: string[];
  mitreAttackIds: string[];
  securityDomain?: string;
  knownFalsePositives?: string;
  references: string[];
  tests: DetectionTest[];
}

/** The one internal form of a detection: the engine never sees YAML. */
export interface Detection extends ContentMetadata {
  name: string;
  id: string;
  version: number;
  type: DetectionType;
  status: string;
  description: string;
  dataSources: string[];
  /** the SPL as written in the YAML */
  search: string;
  plan: SearchPlan;
  /** how the front end shapes the plan's output rows */
  output: OutputSettings;
  drilldowns: Drilldown[];
  /** file the detection was loaded from */
  file: string;
  /** the rule's own id, where a front end runs one rule as several detections (Sigma: one per log source) */
  ruleId?: string;
  /** Sigma: the rule's `name`, by which a correlation rule may reference it */
  ruleName?: string;
  /** constant columns every finding of the detection carries (Sigma: level, status, tags, ATT&CK tactics, log source) */
  columns?: Record<string, string | string[]>;
}

/** Two detections with one id would share findings and partial states: an error at the second one's file. */
export function duplicateIdErrors(detections: Detection[]): ContentError[] {
  const seen = new Map<string, Detection>();
  const errors: ContentError[] = [];
  for (const d of detections) {
    const first = seen.get(d.id);
    if (first) errors.push({ file: d.file, line: 1, col: 1, message: `id ${d.ruleId ?? d.id} is also used by ${first.file}` });
    else seen.set(d.id, d);
  }
  return errors;
}

/** The detection with one finding per matching event (`scan --per-event`): its groups gain an `event` column, where the event was read. */
export function perEvent(d: Detection): Detection {
  return { ...d, plan: { ...d.plan, by: [...d.plan.by, { field: EVENT_BY, as: 'event' }] } };
}

/**
 * The searches a detection's joins run (their subsearches), each as a detection of its own, id
 * `<id>#join<n>`: the engine aggregates them beside the detection (their groups are part of its
 * mergeable state) and the prefilter keeps the records they need. Never reported by themselves.
 */
export function joinedSearches(d: Detection): Detection[] {
  return d.output.rowStages.flatMap((s) => (s.kind === 'join' ? [s.search] : [])).map((search, n) => ({ ...d, id: `${d.id}#join${n + 1}`, plan: search.plan, output: search.output }));
}
