import type { Detection, DetectionType } from '../detection.js';

export const sigmaLevels = ['informational', 'low', 'medium', 'high', 'critical'] as const;
export type SigmaLevel = (typeof sigmaLevels)[number];

/**
 * A Sigma level as our detection type and risk score (docs/sigma.md): informational rules are
 * hunting leads with no risk; low and medium are anomalies; high and critical are TTPs.
 */
export const levelRisk: Record<SigmaLevel, { type: DetectionType; score: number }> = {
  informational: { type: 'Hunting', score: 0 },
  low: { type: 'Anomaly', score: 25 },
  medium: { type: 'Anomaly', score: 50 },
  high: { type: 'TTP', score: 75 },
  critical: { type: 'TTP', score: 100 },
};

/**
 * ATT&CK tactic tags, old and new names: ATT&CK v19 (SigmaHQ since 2026) split `defense-evasion`
 * into `stealth` and `defense-impairment`; older rules write underscores.
 */
const tactics = new Set([
  'reconnaissance', 'resource-development', 'initial-access', 'execution', 'persistence', 'privilege-escalation',
  'defense-evasion', 'stealth', 'defense-impairment', 'credential-access', 'discovery', 'lateral-movement', 'collection',
  'command-and-control', 'exfiltration', 'impact',
]);

/** Technique ids (`T1572`, `T1090.002`) and tactics (`command-and-control`) from a rule's `attack.*` tags. */
export function attackOfTags(tags: readonly string[]): { techniques: string[]; tactics: string[] } {
  const techniques = new Set<string>();
  const found = new Set<string>();
  for (const tag of tags) {
    const lower = tag.toLowerCase();
    if (!lower.startsWith('attack.')) continue;
    const name = lower.slice('attack.'.length).replaceAll('_', '-');
    if (/^t\d{4}(\.\d{3})?$/.test(name)) techniques.add(name.toUpperCase());
    else if (tactics.has(name)) found.add(name);
  }
  return { techniques: [...techniques], tactics: [...found] };
}

/** What every Sigma finding carries from its rule, detection or correlation alike (docs/sigma.md, Findings). */
export interface SigmaMeta {
  title: string;
  level: SigmaLevel;
  status: string;
  tags: string[];
  description: string;
  references: string[];
  falsepositives?: string;
}

/**
 * The Detection fields a Sigma rule's metadata gives: type and risk from the level, ATT&CK from the
 * tags, the constant columns. `host`: the finding column naming the host, the risk object (none: no risk).
 */
export function sigmaDetectionMetadata(
  meta: SigmaMeta,
  logSource: string,
  host: string | undefined,
): Pick<Detection, 'version' | 'type' | 'status' | 'description' | 'drilldowns' | 'risk' | 'analyticStories' | 'mitreAttackIds' | 'knownFalsePositives' | 'references' | 'tests' | 'columns'> {
  const { type, score } = levelRisk[meta.level];
  const attack = attackOfTags(meta.tags);
  return {
    version: 1,
    type,
    status: meta.status,
    description: meta.description,
    drilldowns: [],
    risk: {
      message: host === undefined ? meta.title : `${meta.title} on $${host}$`,
      riskObjects: score > 0 && host !== undefined ? [{ field: host, type: 'system', score }] : [],
      threatObjects: [],
    },
    analyticStories: [],
    mitreAttackIds: attack.techniques,
    knownFalsePositives: meta.falsepositives,
    references: meta.references,
    tests: [],
    columns: { level: meta.level, status: meta.status, tags: meta.tags, mitre_tactic: attack.tactics, log_source: logSource },
  };
}
