import type { Detection } from './detection.js';

export interface Selection {
  /** detection names or ids (case-insensitive) */
  detections?: string[];
  /** analytic story name (case-insensitive) */
  story?: string;
  /** ATT&CK technique; `T1090` also selects its sub-techniques */
  mitre?: string;
}

/** The detections a selection names; `problems` explains every name or filter that matched nothing. */
export function selectDetections(all: Detection[], selection: Selection): { selected: Detection[]; problems: string[] } {
  const problems: string[] = [];
  let selected = all;
  if (selection.detections?.length) {
    const wanted = new Set<Detection>();
    for (const name of selection.detections) {
      const key = name.toLowerCase();
      const hit = all.find((d) => d.id.toLowerCase() === key || d.name.toLowerCase() === key);
      if (hit) wanted.add(hit);
      else problems.push(`unknown detection '${name}'${suggest(name, all.map((d) => d.name))}`);
    }
    selected = all.filter((d) => wanted.has(d));
  }
  if (selection.story) {
    const story = selection.story.toLowerCase();
    selected = selected.filter((d) => d.analyticStories.some((s) => s.toLowerCase() === story));
    if (selected.length === 0) problems.push(`no selected detection belongs to story '${selection.story}'${suggest(selection.story, [...new Set(all.flatMap((d) => d.analyticStories))])}`);
  }
  if (selection.mitre) {
    const id = selection.mitre.toUpperCase();
    selected = selected.filter((d) => d.mitreAttackIds.some((m) => m === id || m.startsWith(`${id}.`)));
    if (selected.length === 0) problems.push(`no selected detection maps to ATT&CK ${selection.mitre}`);
  }
  return { selected, problems };
}

/** ` (did you mean: a, b?)` for the closest names by edit distance or containment */
function suggest(name: string, candidates: string[]): string {
  const key = name.toLowerCase();
  const scored = candidates
    .map((c) => ({ c, d: c.toLowerCase().includes(key) ? 0 : editDistance(key, c.toLowerCase()) }))
    .filter((s) => s.d <= Math.max(3, Math.floor(key.length / 3)))
    .sort((a, b) => a.d - b.d)
    .slice(0, 3);
  return scored.length ? ` (did you mean: ${scored.map((s) => s.c).join(', ')}?)` : '';
}

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}
