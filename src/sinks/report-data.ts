import type { MatchedValues } from '../engine/matched-values.js';
import type { FindingRecord } from '../engine/render.js';
import type { RiskIncident } from '../engine/risk.js';

/**
 * What `scan -f html` embeds in the report as JSON, and what the report's script renders (the
 * front end in `web/report/` imports this type). Data only: the page builds it with text nodes.
 */
export interface ReportData {
  /** when the report was written, ISO-8601 UTC */
  generated: string;
  findings: FindingRecord[];
  incidents: RiskIncident[];
  /** detection id -> the ATT&CK tactics of its techniques */
  tactics: Record<string, string[]>;
  /** finding id -> the spans of its values its detection's condition matched (findings with none are absent) */
  matched: Record<string, MatchedValues>;
  /** the rule incidents were raised by, in words (e.g. `score > 100 or >= 3 ATT&CK tactics within 24 h`) */
  incidentRule?: string;
}

/** The element id of the embedded `<script type="application/json">` block. */
export const REPORT_DATA_ID = 'tunnelwatch-data';
