/**
 * Every state the engine keeps is bounded: finding groups, values per aggregate, correlation keys
 * and findings, values carried per key, entity names. What a bound refused is never silent: it is
 * counted here, by what was refused, whose it was and why, and the run reports it (the scan
 * summary, `watch` on stop, serve's status).
 */
export type CappedState = 'finding groups' | 'aggregate values' | 'correlation keys' | 'correlation findings' | 'correlation events' | 'carried values' | 'entity names';

/** `cap`: a count limit (--max-groups and the fixed per-value caps); `memory`: the heap was nearly full */
export type CapCause = 'cap' | 'memory';

export interface CapOverflow {
  state: CappedState;
  /** the detection or correlation the state belonged to (`entities` for the entity resolver) */
  owner: string;
  cause: CapCause;
  count: number;
}

const SEP = '\u0000';

/** Counts of what the caps refused; sums merge order-free across threads and partial states. */
export class CapTally {
  private readonly counts = new Map<string, number>();

  add(state: CappedState, owner: string, cause: CapCause, n = 1): void {
    if (n <= 0) return;
    const key = [state, owner, cause].join(SEP);
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
  }

  /** JSON-safe entries, for partial states and checkpoints */
  entries(): Array<[key: string, count: number]> {
    return [...this.counts];
  }

  /** forgets the counts (after a partial state shipped them) */
  clear(): void {
    this.counts.clear();
  }

  merge(entries: Iterable<[string, number]> = []): void {
    for (const [key, n] of entries) if (Number.isFinite(n) && n > 0) this.counts.set(key, (this.counts.get(key) ?? 0) + n);
  }

  /** what overflowed, biggest first */
  overflows(): CapOverflow[] {
    return [...this.counts]
      .map(([key, count]) => {
        const [state, owner, cause] = key.split(SEP) as [CappedState, string, CapCause];
        return { state, owner, cause, count };
      })
      .sort((a, b) => b.count - a.count || (a.owner < b.owner ? -1 : a.owner > b.owner ? 1 : 0) || (a.state < b.state ? -1 : a.state > b.state ? 1 : 0));
  }
}

/** How the caps read in a summary: one warning per state, owner and cause. */
export function formatOverflow(o: CapOverflow): string {
  const why =
    o.cause === 'memory' ? 'the heap was nearly full (raise --max-old-space-size, or scan less at once)'
    : o.state === 'aggregate values' ? 'over the distinct values one values()/dc() of a finding keeps'
    : o.state === 'carried values' ? 'over the values carried per field of one correlation key'
    : o.state === 'correlation events' ? 'over the events one Sigma correlation keeps for its windows'
    : 'over the cap (raise --max-groups)';
  return `warning: ${o.owner}: ${o.count} ${o.state} not kept: ${why}`;
}
