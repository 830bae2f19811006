import { ctime, findingColumns, renderCorrelationMessage, renderTemplate, type ColumnValue, type Finding } from './finding.js';
import type { Detection } from '../rules/detection.js';
import type { DrilldownCommand } from './drilldown.js';
import { renderEvidence, type EvidenceRecord } from './evidence.js';

export interface RiskObject {
  risk_object: string;
  risk_object_type: string;
  risk_score: number;
}

export interface ThreatObject {
  threat_object: string;
  threat_object_type: string;
}

/** A finding as every sink writes it; key order is the output column order. */
export interface FindingRecord {
  finding_id: string;
  search_name: string;
  detection_id: string;
  detection_version: number;
  detection_type: string;
  analytic_story: string[];
  mitre_attack_id: string[];
  count: number;
  firstTime?: string;
  lastTime?: string;
  /** the UTC time window [start, end) the finding aggregates over, when the run has windows */
  window_start?: string;
  window_end?: string;
  /** every BY column and other aggregate under its output name */
  [column: string]: ColumnValue | RiskObject[] | ThreatObject[] | DrilldownCommand[] | EvidenceRecord[] | undefined;
  risk_message?: string;
  risk_objects: RiskObject[];
  threat_objects: ThreatObject[];
  /** contributing events behind the finding, in total (the evidence list holds the first ones) */
  evidence_count: number;
  /** where the first contributing events came from, by time (per step for a correlation) */
  evidence: EvidenceRecord[];
  /** `scan --drilldown`: the detection's drilldowns as runnable commands */
  drilldowns?: DrilldownCommand[];
  /** `scan --show-suppressed`: the tuning filter macro that suppressed this finding */
  suppressed_by?: string;
}

export function renderFinding(finding: Finding): FindingRecord {
  const d = finding.detection;
  const columns = findingColumns(finding);
  const { count, firstTime, lastTime, ...rest } = columns;
  return {
    finding_id: finding.id,
    search_name: d.name,
    detection_id: d.ruleId ?? d.id,
    detection_version: d.version,
    detection_type: d.type,
    analytic_story: d.analyticStories,
    mitre_attack_id: d.mitreAttackIds,
    ...d.columns,
    count: typeof count === 'number' ? count : finding.count,
    ...(firstTime !== undefined && { firstTime: String(firstTime) }),
    ...(lastTime !== undefined && { lastTime: String(lastTime) }),
    ...(finding.window && { window_start: ctime(finding.window.start), window_end: ctime(finding.window.end) }),
    ...rest,
    ...(d.risk && { risk_message: (d.type === 'Correlation' ? renderCorrelationMessage : renderTemplate)(d.risk.message, columns) }),
    risk_objects: riskObjects(d, columns),
    threat_objects: threatObjects(d, columns),
    evidence_count: finding.evidenceCount,
    evidence: finding.evidence.map(renderEvidence),
  };
}

function riskObjects(d: Detection, columns: Record<string, ColumnValue>): RiskObject[] {
  if (!d.risk || d.type === 'Hunting') return [];
  return d.risk.riskObjects.flatMap((spec) =>
    valuesOf(columns[spec.field]).map((value) => ({ risk_object: value, risk_object_type: spec.type, risk_score: spec.score })),
  );
}

function threatObjects(d: Detection, columns: Record<string, ColumnValue>): ThreatObject[] {
  if (!d.risk) return [];
  return d.risk.threatObjects.flatMap((spec) =>
    valuesOf(columns[spec.field]).map((value) => ({ threat_object: value, threat_object_type: spec.type })),
  );
}

/** null-filled and empty values name no object: ES skips them too */
function valuesOf(value: ColumnValue | undefined): string[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [String(value)];
  return list.filter((v) => v !== '' && v !== 'null');
}
