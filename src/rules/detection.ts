import type { OutputSettings, SearchPlan } from './search-plan.js';

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
}
