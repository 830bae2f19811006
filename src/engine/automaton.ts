/**
 * A multi-needle substring matcher (Aho-Corasick compiled to a DFA) that folds ASCII case.
 * One pass over the input whatever the number of needles: the prefilter's cost must not grow
 * with the rule set. Built from literal needles only, so no input can make it backtrack.
 *
 * A needle may be *digit-bounded*: it only counts where no digit touches it on either side. A
 * port rule's `7000` must match the field value `7000`, not the middle of a timestamp.
 */
import { BYTE_VALUES, DfaKernel } from './dfa-kernel.js';

/**
 * Ranges at least this many times the longest needle are scanned as four chains in step: each DFA
 * step waits for the table load of the step before, and independent chains overlap those waits.
 */
const FOUR_CHAINS_MIN = 4;
/** text characters no byte can stand for; they split text into byte runs */
// eslint-disable-next-line no-control-regex
const NOT_LATIN1 = /[^\x00-\xff]+/;

export interface Needle {
  bytes: ArrayLike<number>;
  /** only where the bytes before and after are not ASCII digits (or are the record's edges) */
  digitBounded?: boolean;
  /** the flag `foundInBytes` sets for it (forms of one literal share one); its index in the list by default */
  flag?: number;
}

/** a needle a state ends: the flag it sets, its length, and whether digit-bounded */
export interface Ending {
  flag: number;
  length: number;
  bounded: boolean;
}

/**
 * A built automaton as data (the prefilter keeps it with the compiled-content cache). Its table
 * (a megabyte or two) is mostly rows copied from failure states, so it is kept as what `compile`
 * does: each state's row starts as a copy of its failure state's row, then takes the entries
 * where it differs.
 */
export interface CompiledNeedles {
  /** the states after the root, breadth-first (each failure state comes before it): state, failure state */
  order: Int32Array;
  /** per state, the root first, then in `order`: the number of entries its row changes, then each (index in the row, entry) */
  changes: Int32Array;
  /** per state (read only: states ending no needle may share one empty list) */
  endings: readonly (readonly Ending[])[];
  longest: number;
  /** per byte value, its class, for rows of one entry per class (byteClasses); rows of one entry per byte value without */
  classes?: Uint8Array;
}

const UPPER_A = 65;
const LOWER_A = 97;

function fold(code: number): number {
  return code >= UPPER_A && code < UPPER_A + 26 ? code + 32 : code;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/**
 * From this many states, a DFA's rows have one entry per byte class, not per byte value (1 KB):
 * SigmaHQ's command-line literals use ~60 distinct bytes, so its tables of 5,000-7,000 states
 * shrink ~4x, and with them the fresh memory a restored table faults in (~45 MB -> ~12 MB over
 * the OTRF scan) and the cache misses of scanning (-20% with 5,000 needles); a small table stays
 * in cache either way, and the class lookup made scanning with 20 needles ~25% slower
 * (dfa-kernel.wat). The story's largest automaton has ~1,400 states.
 */
const CLASS_ROWS_MIN_STATES = 1024;

/**
 * Per byte value, its class: 0 for every byte no needle holds, then one class per (folded) byte
 * the needles hold, both cases of a letter in one.
 */
function byteClasses(needles: Needle[]): Uint8Array {
  const classes = new Uint8Array(BYTE_VALUES);
  let next = 1;
  for (const { bytes } of needles) {
    for (let i = 0; i < bytes.length; i++) {
      const folded = fold(bytes[i]);
      if (classes[folded] !== 0) continue;
      classes[folded] = next++;
      if (folded >= LOWER_A && folded < LOWER_A + 26) classes[folded - LOWER_A + UPPER_A] = classes[folded];
    }
  }
  return classes;
}

/** the ranges of a matchesEachRange scan, and where it marks those holding a needle */
interface RangeMarks {
  ranges: ArrayLike<number>;
  count: number;
  passed: Uint8Array;
  /** kernel memory offset less input offset */
  shift: number;
}

export class NeedleAutomaton {
  /** the transition table (states are row byte offsets, -(row + 1) when accepting) and its scanning loops */
  private readonly kernel: DfaKernel;
  /** per state (row byte offset / kernel.rowBytes): every needle ending there */
  private readonly endings: readonly (readonly Ending[])[];
  /** per byte value, its class (byteClasses), when rows have one entry per class */
  private readonly classes: Uint8Array | undefined;
  private readonly longest: number;
  /** where the scan in progress lists the flags it sets (see foundInText) */
  private hits: number[] | null = null;
  /** the ranges the scan in progress tells apart (see matchesEachRange) */
  private marking: RangeMarks | null = null;
  /** the states after the root, breadth-first, each with its failure state (CompiledNeedles) */
  private readonly order: Int32Array;

  /**
   * Built from needles, or restored from what `compiled()` gave. `classRowsFrom`: the states from
   * which rows have one entry per byte class (CLASS_ROWS_MIN_STATES unless a use scans so little
   * that the table's size matters more than the class lookup).
   */
  constructor(needles: Needle[] | CompiledNeedles, classRowsFrom = CLASS_ROWS_MIN_STATES) {
    if (!Array.isArray(needles)) {
      const compiled = needles as CompiledNeedles;
      this.longest = compiled.longest;
      this.endings = compiled.endings;
      this.order = compiled.order;
      this.classes = compiled.classes;
      this.kernel = new DfaKernel(compiled.endings.length, compiled.classes);
      this.kernel.restore(compiled.order, compiled.changes);
      return;
    }
    const goto: Array<Map<number, number>> = [new Map()];
    const ends: Ending[][] = [[]];
    needles.forEach(({ bytes, digitBounded, flag }, index) => {
      if (bytes.length === 0) return;
      let state = 0;
      for (let i = 0; i < bytes.length; i++) {
        const symbol = fold(bytes[i]);
        let target = goto[state].get(symbol);
        if (target === undefined) {
          target = goto.length;
          goto.push(new Map());
          ends.push([]);
          goto[state].set(symbol, target);
        }
        state = target;
      }
      ends[state].push({ flag: flag ?? index, length: bytes.length, bounded: digitBounded === true });
    });
    this.longest = needles.reduce((max, n) => Math.max(max, n.bytes.length), 0);
    this.classes = goto.length >= classRowsFrom ? byteClasses(needles) : undefined;
    this.kernel = new DfaKernel(goto.length, this.classes);
    this.order = this.compile(goto, ends, this.kernel.table());
    this.endings = ends;
  }

  /** the automaton as data: `new NeedleAutomaton(compiled)` is the same automaton */
  compiled(): CompiledNeedles {
    const table = this.kernel.table();
    const stride = this.kernel.rowBytes / Int32Array.BYTES_PER_ELEMENT;
    const changes: number[] = [];
    // each row against the row it started as (the root's: zeros)
    const differences = (row: number, from: number) => {
      const count = changes.push(0) - 1;
      for (let symbol = 0; symbol < stride; symbol++) {
        const entry = table[row + symbol];
        if (entry === (from < 0 ? 0 : table[from + symbol])) continue;
        changes.push(symbol, entry);
        changes[count]++;
      }
    };
    differences(0, -1);
    for (let i = 0; i < this.order.length; i += 2) differences(this.order[i] * stride, this.order[i + 1] * stride);
    return { order: this.order, changes: Int32Array.from(changes), endings: this.endings, longest: this.longest, classes: this.classes };
  }

  /** whether bytes[start, end) contain a needle */
  matchesBytes(bytes: Uint8Array, start = 0, end = bytes.length): boolean {
    return this.scan(this.kernel.load(bytes, start, end), end - start, null);
  }

  /** matchesBytes for text; a character above U+00FF is in no needle */
  matchesText(text: string): boolean {
    return text.split(NOT_LATIN1).some((run) => this.scan(this.kernel.loadLatin1(run), run.length, null));
  }

  /** Sets `found[flag]` to 1 for each needle bytes[start, end) contain; `hits` as in foundInText. */
  foundInBytes(found: Uint8Array, bytes: Uint8Array, start = 0, end = bytes.length, hits?: number[]): void {
    this.hits = hits ?? null;
    this.scan(this.kernel.load(bytes, start, end), end - start, found);
    this.hits = null;
  }

  /**
   * foundInBytes for text; with `hits`, each flag set from 0 to 1 is also appended to it (a caller
   * that tests a few found literals out of thousands need not look at every flag).
   */
  foundInText(found: Uint8Array, text: string, hits?: number[]): void {
    this.hits = hits ?? null;
    // most text is all Latin-1: one run, no array
    if (!NOT_LATIN1.test(text)) this.scan(this.kernel.loadLatin1(text), text.length, found);
    else for (const run of text.split(NOT_LATIN1)) this.scan(this.kernel.loadLatin1(run), run.length, found);
    this.hits = null;
  }

  /**
   * For each range i of `bytes`, [ranges[2i], ranges[2i + 1]) (ascending, apart), whether it
   * contains a needle: passed[i] is set to 1 or 0. One pass over them all and the bytes between
   * (a needle counts only where it lies wholly inside one range, digit bounds at the range's
   * edges), not one per range: EVTX tests each record of a chunk, and ~80,000 calls of a few
   * hundred bytes each cost more than the bytes.
   */
  matchesEachRange(bytes: Uint8Array, ranges: ArrayLike<number>, passed: Uint8Array): void {
    const count = ranges.length >> 1;
    passed.fill(0, 0, count);
    if (count === 0) return;
    const from = ranges[0];
    const to = ranges[2 * count - 1];
    const at = this.kernel.load(bytes, from, to);
    this.marking = { ranges, count, passed, shift: at - from };
    try {
      this.scan(at, to - from, null);
    } finally {
      this.marking = null;
    }
  }

  /** In matchesEachRange: marks the range holding a needle the state `row` ends at `last`, if one lies wholly inside it. */
  private markRange(row: number, last: number, m: RangeMarks): void {
    const { ranges, passed, shift } = m;
    const at = last - shift;
    // the last range starting at or before the needle's last byte
    let low = 0;
    for (let high = m.count - 1; low < high; ) {
      const middle = (low + high + 1) >> 1;
      if (ranges[2 * middle] <= at) low = middle;
      else high = middle - 1;
    }
    const start = ranges[2 * low] + shift;
    const end = ranges[2 * low + 1] + shift;
    if (passed[low] === 1 || last < start || last >= end) return;
    if (this.endings[row / this.kernel.rowBytes].some((e) => this.counts(e, last, start, end))) passed[low] = 1;
  }

  /**
   * Whether the needle `e` ending at `last` of the input loaded at [start, end) counts there: it
   * lies wholly inside, and if digit-bounded no digit touches it on either side.
   */
  private counts(e: Ending, last: number, start: number, end: number): boolean {
    const before = last - e.length;
    if (before + 1 < start) return false;
    if (!e.bounded) return true;
    const input = this.kernel.memory;
    return !(last + 1 < end && isDigit(input[last + 1])) && !(before >= start && isDigit(input[before]));
  }

  /**
   * At an accepting state (`row`, the needle's last byte at `last` of the input loaded at
   * [start, end)): without `found`, whether some needle ending there counts, which ends the scan;
   * with it, flags every one that counts and goes on. A digit-bounded needle counts only with no
   * digit on either side.
   */
  private accept(row: number, last: number, start: number, end: number, found: Uint8Array | null): boolean {
    if (this.marking) {
      this.markRange(row, last, this.marking);
      return false;
    }
    for (const e of this.endings[row / this.kernel.rowBytes]) {
      if (!this.counts(e, last, start, end)) continue;
      if (!found) return true;
      if (found[e.flag] === 0) this.hits?.push(e.flag);
      found[e.flag] = 1;
    }
    return false;
  }

  /**
   * Runs the DFA over the `length` bytes loaded at `start`, accepting (see `accept`) at every
   * accepting state reached. Accepting states are rare: the kernel's loops stop at one and resume
   * after it.
   */
  private scan(start: number, length: number, found: Uint8Array | null): boolean {
    return length >= FOUR_CHAINS_MIN * this.longest ? this.scanInFourChains(start, start + length, found) : this.scanInOneChain(start, start + length, found);
  }

  private scanInOneChain(start: number, end: number, found: Uint8Array | null): boolean {
    const kernel = this.kernel;
    kernel.states[0] = 0;
    for (let at = start; ; at++) {
      at = kernel.run1(at, end);
      if (at === end) return false;
      const state = (kernel.states[0] = -kernel.states[0] - 1);
      if (this.accept(state, at, start, end, found)) return true;
    }
  }

  /**
   * Four chains in step, each over a quarter of the range and the longest needle less one beyond
   * it (the last ends at `end`), so that a needle across a boundary lies wholly in one chain.
   */
  private scanInFourChains(start: number, end: number, found: Uint8Array | null): boolean {
    const kernel = this.kernel;
    const overlap = this.longest - 1;
    const length = Math.ceil((end - start + 3 * overlap) / 4);
    const stride = length - overlap;
    const fourth = end - length - start;
    const limit = start + length;
    kernel.states.fill(0);
    for (let at = start; ; at++) {
      at = kernel.run4(at, limit, stride, 2 * stride, fourth);
      if (at === limit) return false;
      const states = kernel.states;
      for (let chain = 0; chain < 4; chain++) {
        if (states[chain] >= 0) continue;
        states[chain] = -states[chain] - 1;
        if (this.accept(states[chain], at + (chain === 3 ? fourth : chain * stride), start, end, found)) return true;
      }
    }
  }

  /**
   * Breadth-first, so a state's failure state is complete before it: each state's row starts as a
   * copy of its failure state's row, then takes its own transitions; endings are inherited likewise
   * (in `ends`, in place). Entries are written in their final form (row byte offsets, negative when accepting) as they go:
   * a state accepts when it ends a needle or its failure state accepts, and its failure state,
   * being shallower, is settled first.
   */
  private compile(goto: Array<Map<number, number>>, ends: Ending[][], target: Int32Array): Int32Array {
    const failure = new Int32Array(goto.length);
    const accepting = new Uint8Array(goto.length);
    const rowBytes = this.kernel.rowBytes;
    const stride = rowBytes / Int32Array.BYTES_PER_ELEMENT;
    const code = (t: number) => (accepting[t] === 1 ? -(t * rowBytes) - 1 : t * rowBytes);
    const stateOf = (c: number) => (c < 0 ? -c - 1 : c) / rowBytes;
    // a symbol (a folded byte value) is a column of the row: its class's (both cases of a letter are one: byteClasses), or its own, whose upper case gets the same entry
    const classes = this.classes;
    const column = (symbol: number) => (classes ? classes[symbol] : symbol);
    const link = (row: number, symbol: number, t: number) => {
      accepting[t] = ends[t].length > 0 || accepting[failure[t]] === 1 ? 1 : 0;
      const next = code(t);
      target[row + column(symbol)] = next;
      if (!classes && symbol >= LOWER_A && symbol < LOWER_A + 26) target[row + symbol - LOWER_A + UPPER_A] = next;
    };
    const queue: number[] = [];
    for (const [symbol, t] of goto[0]) {
      link(0, symbol, t);
      queue.push(t);
    }
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head];
      const row = state * stride;
      const failureRow = failure[state] * stride;
      ends[state].push(...ends[failure[state]]);
      target.copyWithin(row, failureRow, failureRow + stride);
      for (const [symbol, t] of goto[state]) {
        failure[t] = stateOf(target[failureRow + column(symbol)]);
        link(row, symbol, t);
        queue.push(t);
      }
    }
    return Int32Array.from(queue.flatMap((state) => [state, failure[state]]));
  }
}

