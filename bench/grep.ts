import path from 'node:path';
import { prefilterNeedles } from '../src/engine/prefilter.js';
import type { Detection } from '../src/rules/detection.js';
import { commandExists, runMeasured, type RunCost } from './measure.js';

/** the ESCU story tunnelwatch implements */
const STORY = 'Reverse Network Proxy';

/**
 * `grep -ciE` for `needles`, the floor of any literal-driven scanner. The target's floor greps
 * the prefilter's own needles (every shipped detection's, exactly what the quick test searches):
 * like for like. `countsFile` is not /dev/null: GNU grep notices it and stops at the first match.
 */
export async function grepFloor(files: string[], needles: string[], countsFile: string): Promise<RunCost | undefined> {
  if (!commandExists('grep') || needles.length === 0) return undefined;
  const pattern = needles.map((n) => n.replace(/[.[\]()*+?{}|^$\\]/g, '\\$&')).join('|');
  const cost = await runMeasured('grep', ['-ciE', '-e', pattern, ...files], countsFile);
  // grep exits 1 when nothing matched: still a full pass over the bytes
  return cost.code === 0 || cost.code === 1 ? cost : undefined;
}

/**
 * The needles of the story's own detections only: ESCU's, the YAML files directly in `escuDir`
 * (tunnelwatch's own, in its subfolder, name the story too). Information: the floor as issue 20
 * first measured it.
 */
export function storyNeedles(detections: Detection[], escuDir: string): { count: number; needles: string[] } {
  const story = detections.filter(
    (d) => path.dirname(path.resolve(d.file)) === path.resolve(escuDir) && d.analyticStories.some((s) => s.toLowerCase() === STORY.toLowerCase()),
  );
  return { count: story.length, needles: prefilterNeedles(story).needles };
}
