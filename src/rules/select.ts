import type { Detection } from './detection.js';
import { didYouMean } from './suggest.js';

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
      else problems.push(`unknown detection '${name}'${didYouMean(name, all.map((d) => d.name))}`);
    }
    selected = all.filter((d) => wanted.has(d));
  }
  if (selection.story) {
    const story = selection.story.toLowerCase();
    selected = selected.filter((d) => d.analyticStories.some((s) => s.toLowerCase() === story));
    if (selected.length === 0) problems.push(`no selected detection belongs to story '${selection.story}'${didYouMean(selection.story, [...new Set(all.flatMap((d) => d.analyticStories))])}`);
  }
  if (selection.mitre) {
    const id = selection.mitre.toUpperCase();
    selected = selected.filter((d) => d.mitreAttackIds.some((m) => m === id || m.startsWith(`${id}.`)));
    if (selected.length === 0) problems.push(`no selected detection maps to ATT&CK ${selection.mitre}`);
  }
  return { selected, problems };
}
