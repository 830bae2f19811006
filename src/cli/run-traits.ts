/**
 * What this process's command exercised (the formats it read, its output, whether the prefilter
 * ran), for code-cache.ts: a run that exercised something the kept bytecode's runs did not adds its
 * own, so the cache grows to what the user's scans run instead of staying the first scan's.
 */
const traits = new Set<string>();

export function noteRunTraits(...names: string[]): void {
  for (const name of names) traits.add(name);
}

export function runTraits(): string[] {
  return [...traits].sort();
}
