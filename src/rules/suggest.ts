/** "Did you mean" suggestions for names given by hand: detections, stories, columns, fields. */

/** ` (did you mean: a, b?)` for the closest names by edit distance or containment */
export function didYouMean(name: string, candidates: readonly string[]): string {
  const key = name.toLowerCase();
  const scored = candidates
    .map((c) => ({ c, d: c.toLowerCase().includes(key) ? 0 : editDistance(key, c.toLowerCase()) }))
    .filter((s) => s.d <= Math.max(3, Math.floor(key.length / 3)))
    .sort((a, b) => a.d - b.d)
    .slice(0, 3);
  return scored.length ? ` (did you mean: ${scored.map((s) => s.c).join(', ')}?)` : '';
}

/** the candidate nearest to `word` by edit distance, when it is near enough to be a likely typo */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
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
