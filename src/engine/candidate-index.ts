import type { Expr } from '../rules/search-plan.js';
import { decodeCandidateIndexes, encodeCandidateIndexes, type SavedCandidateIndex } from './index-tables.js';
import { LiteralIndex, type SavedLiteralIndex } from './literal-index.js';
import type { TableStore } from './saved-tables.js';
import type { LoweredFields } from './predicate.js';

/**
 * A bucket of fewer rules than this is tested whole, without a literal index: restoring an index's
 * automata (tables written into WebAssembly memory) cost a small scan of the shipped content ~6 ms
 * of its ~65, and testing each of so few rules is no slower than looking their literals up (all
 * 130,227 OTRF events through the shipped content with `--no-prefilter`: 1.80 s against 1.86 s).
 * SigmaHQ's buckets hold tens to hundreds of rules, where the index rules out most of them.
 */
export const LITERAL_INDEX_FROM = 16;

/**
 * One CandidateIndex per dataset's rules. With `store`: restored from the tables an earlier run
 * over the same rules saved there or, when there are none (or they are damaged), with every
 * bucket's literal index built now and saved for the next run.
 */
export function candidateIndexes<K extends string, T>(
  lists: ReadonlyMap<K, readonly T[]>,
  whereOf: (item: T) => Expr,
  store?: TableStore,
  literalIndexFrom = LITERAL_INDEX_FROM,
): Map<K, CandidateIndex<T>> {
  const saved = store && decodeCandidateIndexes(store.read());
  const indexes = new Map([...lists].map(([key, list]) => [key, new CandidateIndex(list, whereOf, saved?.get(key), literalIndexFrom)]));
  if (store && !saved) store.write(encodeCandidateIndexes(new Map([...indexes].map(([key, index]) => [key, index.saved()]))));
  return indexes;
}

/**
 * The rules of one dataset indexed twice. First by a field most of them require to equal one of
 * a few exact values (Sigma's log sources pin `EventID`): an event is tested only against the rules
 * its value names, plus those that pin nothing. Then, within that bucket, by literal (LiteralIndex):
 * only the rules whose required literals the event's values hold, plus those that require none.
 * Exact: a rule is left out only when it cannot match (an absent field never equals). Each bucket's
 * literal index is built when an event first needs it: a run never pays for event kinds it does not
 * see; a bucket of fewer than `literalIndexFrom` rules has none (LITERAL_INDEX_FROM).
 */
export class CandidateIndex<T> {
  private readonly field: string | undefined;
  /** per lowercased value: the rules needing no value of the field, then those needing this one */
  private readonly byValue = new Map<string, readonly T[]>();
  private readonly unpinned: readonly T[];
  private readonly literalIndexes = new Map<readonly T[], LiteralIndex<T>>();
  /** per bucket, its literal index as an earlier run saved it (read on first use) */
  private readonly savedIndexes = new Map<readonly T[], () => SavedLiteralIndex>();

  /**
   * `saved`: what `saved()` gave for the same items, its buckets and literal indexes restored
   * instead of derived (so no rule's search is read: the content cache parses each on first use)
   */
  constructor(
    private readonly items: readonly T[],
    private readonly whereOf: (item: T) => Expr,
    saved?: SavedCandidateIndex,
    private readonly literalIndexFrom = LITERAL_INDEX_FROM,
  ) {
    const restored = saved && restoredBuckets(items, saved);
    if (restored) {
      this.field = restored.field;
      this.unpinned = restored.unpinned;
      for (const [value, bucket] of restored.byValue) this.byValue.set(value, bucket);
    } else {
      const pins = items.map((item) => exactValues(whereOf(item)));
      this.field = bestField(pins);
      this.unpinned = this.field === undefined ? items : this.bucketed(items, this.field, pins);
    }
    // a bucket's saved literal index numbers its rules as saved: only restored buckets may use it
    for (const { value, index } of restored ? saved.buckets : []) {
      const bucket = value === null ? this.unpinned : this.byValue.get(value);
      if (bucket) this.savedIndexes.set(bucket, index);
    }
  }

  /** fills byValue; returns the rules that pin no value of `field` */
  private bucketed(items: readonly T[], field: string, pins: Map<string, string[]>[]): readonly T[] {
    const unpinned = items.filter((_, i) => !pins[i].has(field));
    const buckets = new Map<string, T[]>();
    items.forEach((item, i) => {
      for (const value of pins[i].get(field) ?? []) {
        const bucket = buckets.get(value) ?? [];
        bucket.push(item);
        buckets.set(value, bucket);
      }
    });
    for (const [value, bucket] of buckets) this.byValue.set(value, [...unpinned, ...bucket]);
    return unpinned;
  }

  /** the buckets (each rule by its position in the items) and every bucket's literal index, built now, as data */
  saved(): SavedCandidateIndex {
    const positions = new Map(this.items.map((item, position) => [item, position]));
    const buckets: SavedCandidateIndex['buckets'] = [];
    for (const [value, bucket] of [[null, this.unpinned] as const, ...this.byValue]) {
      // a value's bucket is the unpinned rules, then its own
      const members = (value === null ? bucket : bucket.slice(this.unpinned.length)).map((item) => positions.get(item)!);
      const index = bucket.length === 0 ? undefined : this.literalIndexOf(bucket).saved();
      if (index) buckets.push({ value, members, index: () => index });
    }
    return { field: this.field ?? null, buckets };
  }

  /** the rules that can match an event with these (lowercased) values, each once */
  candidates(lowered: LoweredFields): readonly T[] {
    const values = this.field === undefined ? undefined : lowered.get(this.field);
    if (values === undefined) return this.narrowed(this.unpinned, lowered);
    if (values.length === 1) return this.narrowed(this.byValue.get(values[0]) ?? this.unpinned, lowered);
    return [...new Set(values.flatMap((v) => this.narrowed(this.byValue.get(v) ?? this.unpinned, lowered)))];
  }

  private narrowed(bucket: readonly T[], lowered: LoweredFields): readonly T[] {
    return bucket.length < this.literalIndexFrom ? bucket : this.literalIndexOf(bucket).candidates(lowered);
  }

  private literalIndexOf(bucket: readonly T[]): LiteralIndex<T> {
    let index = this.literalIndexes.get(bucket);
    if (!index) this.literalIndexes.set(bucket, (index = new LiteralIndex(bucket, this.whereOf, savedOrNone(this.savedIndexes.get(bucket)))));
    return index;
  }
}

/**
 * The buckets as saved, or undefined when they do not fit these items (a position out of range,
 * a rule in no bucket): then they are derived from the rules' searches again.
 */
function restoredBuckets<T>(items: readonly T[], saved: SavedCandidateIndex): { field: string | undefined; unpinned: readonly T[]; byValue: Map<string, readonly T[]> } | undefined {
  if (saved.field === null) return saved.buckets.length === 1 && saved.buckets[0].value === null && saved.buckets[0].members.length === items.length ? { field: undefined, unpinned: items, byValue: new Map() } : undefined;
  const placed = new Uint8Array(items.length);
  const itemsAt = (members: readonly number[]) => members.map((p) => ((placed[p] = 1), items[p]));
  if (saved.buckets.some(({ members }) => members.some((p) => !Number.isInteger(p) || p < 0 || p >= items.length))) return undefined;
  const unpinned = itemsAt(saved.buckets.find((b) => b.value === null)?.members ?? []);
  const byValue = new Map(saved.buckets.flatMap(({ value, members }) => (value === null ? [] : [[value, [...unpinned, ...itemsAt(members)]] as const])));
  return placed.every((p) => p === 1) ? { field: saved.field, unpinned, byValue } : undefined;
}

/** a saved literal index, or none when it cannot be read (the tables' digest matched: only a bug gets here) */
function savedOrNone(saved: (() => SavedLiteralIndex) | undefined): SavedLiteralIndex | undefined {
  try {
    return saved?.();
  } catch {
    return undefined;
  }
}

/** field -> the exact values (lowercased) a top-level conjunct requires it to equal one of */
function exactValues(expr: Expr): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const visit = (e: Expr): void => {
    if (e.kind === 'and') e.terms.forEach(visit);
    else if (e.kind === 'compare' && e.op === '=' && !e.pattern.includes('*') && !out.has(e.field)) out.set(e.field, [e.pattern.toLowerCase()]);
    else if (e.kind === 'in' && e.patterns.every((p) => !p.includes('*')) && !out.has(e.field)) out.set(e.field, e.patterns.map((p) => p.toLowerCase()));
  };
  visit(expr);
  return out;
}

/** the field most rules pin; on a tie, the one whose values split them most */
function bestField(pins: Map<string, string[]>[]): string | undefined {
  const stats = new Map<string, { rules: number; values: Set<string> }>();
  for (const pin of pins) {
    for (const [field, values] of pin) {
      const s = stats.get(field) ?? { rules: 0, values: new Set<string>() };
      s.rules++;
      for (const v of values) s.values.add(v);
      stats.set(field, s);
    }
  }
  let best: string | undefined;
  let bestStats = { rules: 0, values: 0 };
  for (const [field, s] of stats) {
    if (s.rules > bestStats.rules || (s.rules === bestStats.rules && s.values.size > bestStats.values)) {
      best = field;
      bestStats = { rules: s.rules, values: s.values.size };
    }
  }
  return best;
}
