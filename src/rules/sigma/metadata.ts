import type { DetectionType } from '../detection.js';

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
