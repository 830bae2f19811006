import path from 'node:path';

export const mitreIdPattern = /^T\d{4}(\.\d{3})?$/;

/** ATT&CK Enterprise tactics, by their short names. */
export const tacticNames = [
  'reconnaissance', 'resource-development', 'initial-access', 'execution', 'persistence', 'privilege-escalation',
  'defense-evasion', 'credential-access', 'discovery', 'lateral-movement', 'collection', 'command-and-control',
  'exfiltration', 'impact',
] as const;

/** technique id -> tactics, with sub-techniques falling back to their parent */
export class TacticTable {
  constructor(private readonly byTechnique: ReadonlyMap<string, readonly string[]>) {}

  /** the table as plain data, for the compiled-content cache; `new TacticTable(new Map(entries))` restores it */
  entries(): Array<[string, readonly string[]]> {
    return [...this.byTechnique];
  }

  has(id: string): boolean {
    return this.byTechnique.has(id) || this.byTechnique.has(id.split('.')[0]);
  }

  /** distinct tactics of the given technique ids, sorted; unknown ids add none */
  tacticsOf(ids: Iterable<string>): string[] {
    const out = new Set<string>();
    for (const id of ids) for (const t of this.byTechnique.get(id) ?? this.byTechnique.get(id.split('.')[0]) ?? []) out.add(t);
    return [...out].sort();
  }
}

/** content/mitre/techniques.yml next to a detections directory's content root */
export function techniquesFile(contentRoot: string): string {
  return path.join(contentRoot, 'mitre', 'techniques.yml');
}
