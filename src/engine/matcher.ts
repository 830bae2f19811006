/** Tests a value already lowercased with `toLowerCase()`. */
export type LoweredMatcher = (lowered: string) => boolean;

/**
 * Compiles an SPL value pattern: case-insensitive, `*` matches any run of characters (including
 * none), nothing else is special. Matching uses startsWith/endsWith/indexOf over the literal
 * segments, never a RegExp, so time is linear-ish in the value whatever the pattern (no ReDoS).
 */
export function compilePattern(pattern: string): (value: string) => boolean {
  const matchLowered = compileLoweredPattern(pattern);
  return (value) => matchLowered(value.toLowerCase());
}

/**
 * As compilePattern, for callers that lowercase each field value once and test it against several
 * patterns.
 */
export function compileLoweredPattern(pattern: string): LoweredMatcher {
  const lowered = pattern.toLowerCase();
  if (!lowered.includes('*')) return (value) => value === lowered;
  return compileSegments(lowered.split('*'));
}

/**
 * Matches a value made of the literal `segments` in order with any run of characters between
 * each two (the pieces of a pattern split at its `*`s). Compares as given: lowercase both sides
 * for a case-insensitive match.
 */
export function compileSegments(segments: string[]): (value: string) => boolean {
  if (segments.length === 1) return (value) => value === segments[0];
  const prefix = segments[0];
  const suffix = segments[segments.length - 1];
  const middle = segments.slice(1, -1).filter((s) => s.length > 0);
  if (prefix === '' && suffix === '' && middle.length === 0) return () => true;
  const minLength = prefix.length + suffix.length + middle.reduce((n, s) => n + s.length, 0);
  return (value) => {
    if (value.length < minLength || !value.startsWith(prefix) || !value.endsWith(suffix)) return false;
    const end = value.length - suffix.length;
    let pos = prefix.length;
    // taking the leftmost occurrence of each middle segment is optimal when `*` is the only wildcard
    for (const segment of middle) {
      const found = value.indexOf(segment, pos);
      if (found < 0 || found + segment.length > end) return false;
      pos = found + segment.length;
    }
    return true;
  };
}
