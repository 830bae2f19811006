/**
 * A multi-needle substring matcher (Aho-Corasick compiled to a DFA) that folds ASCII case.
 * One pass over the input whatever the number of needles: the prefilter's cost must not grow
 * with the rule set. Built from literal needles only, so no input can make it backtrack.
 *
 * A needle may be *digit-bounded*: it only counts where no digit touches it on either side. A
 * port rule's `7000` must match the field value `7000`, not the middle of a timestamp.
 */
const ALPHABET = 256;
/**
 * Ranges at least this many times the longest needle are scanned as two halves in step: each DFA
 * step waits for the table load of the step before, and two independent chains overlap those waits.
 */
const TWO_HALVES_MIN = 4;
const FOUR_CHAINS_MIN = 16;
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
interface Ending {
  flag: number;
  length: number;
  bounded: boolean;
}

const UPPER_A = 65;
const LOWER_A = 97;

function fold(code: number): number {
  return code >= UPPER_A && code < UPPER_A + 26 ? code + 32 : code;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

export class NeedleAutomaton {
  /**
   * Row offsets (state × ALPHABET) of the next state, stored as -(offset + 2) for a state that ends
   * a needle. Upper-case columns copy lower-case.
   */
  private readonly next: Int32Array;
  /** per accepting state row offset: every needle ending there */
  private readonly endings = new Map<number, Ending[]>();
  private readonly longest: number;

  constructor(needles: Needle[]) {
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
    this.next = this.compile(goto, ends);
  }

  /** whether bytes[start, end) contain a needle */
  matchesBytes(bytes: Uint8Array, start = 0, end = bytes.length): boolean {
    return this.scan(bytes, start, end, null);
  }

  /** matchesBytes for text; a character above U+00FF is in no needle */
  matchesText(text: string): boolean {
    return text.split(NOT_LATIN1).some((run) => this.matchesBytes(Buffer.from(run, 'latin1')));
  }

  /** Sets `found[flag]` to 1 for each needle bytes[start, end) contain. */
  foundInBytes(found: Uint8Array, bytes: Uint8Array, start = 0, end = bytes.length): void {
    this.scan(bytes, start, end, found);
  }

  /** foundInBytes for text */
  foundInText(found: Uint8Array, text: string): void {
    for (const run of text.split(NOT_LATIN1)) this.foundInBytes(found, Buffer.from(run, 'latin1'));
  }

  /**
   * At an accepting state (`row`, the needle's last byte at `last`): without `found`, whether some
   * needle ending there counts, which ends the scan; with it, flags every one that counts and goes on.
   * A digit-bounded needle counts only with no digit on either side.
   */
  private accept(row: number, bytes: Uint8Array, last: number, start: number, end: number, found: Uint8Array | null): boolean {
    const digitAfter = last + 1 < end && isDigit(bytes[last + 1]);
    for (const e of this.endings.get(row)!) {
      const before = last - e.length;
      if (e.bounded && (digitAfter || (before >= start && isDigit(bytes[before])))) continue;
      if (!found) return true;
      found[e.flag] = 1;
    }
    return false;
  }

  /**
   * Runs the DFA over bytes[start, end), accepting (see `accept`) at every accepting state reached.
   * Accepting states are rare: they are handled outside the per-byte loops, which make no call and
   * allocate nothing (the scan runs once per record).
   */
  private scan(bytes: Uint8Array, start: number, end: number, found: Uint8Array | null): boolean {
    if (end - start >= FOUR_CHAINS_MIN * this.longest) return this.scanInFourChains(bytes, start, end, found);
    if (end - start < TWO_HALVES_MIN * this.longest) return this.scanInOneChain(bytes, start, end, found);
    // the halves overlap by the longest needle less one, so a needle across the middle lies wholly in the first
    const half = (end - start + this.longest) >> 1;
    const limit = start + half;
    const next = this.next;
    let first = 0;
    let second = 0;
    for (let i = start, j = end - half; ; i++, j++) {
      for (; i < limit; i++, j++) {
        first = next[first + bytes[i]];
        second = next[second + bytes[j]];
        if ((first | second) < 0) break;
      }
      if (i === limit) return false;
      if (first < 0) {
        first = -first - 2;
        if (this.accept(first, bytes, i, start, end, found)) return true;
      }
      if (second < 0) {
        second = -second - 2;
        if (this.accept(second, bytes, j, start, end, found)) return true;
      }
    }
  }

  /**
   * Four chains in step, each over a quarter of the range and the longest needle less one beyond
   * it (the last ends at `end`), so that a needle across a boundary lies wholly in one chain.
   */
  private scanInFourChains(bytes: Uint8Array, start: number, end: number, found: Uint8Array | null): boolean {
    const overlap = this.longest - 1;
    const length = Math.ceil((end - start + 3 * overlap) / 4);
    const stride = length - overlap;
    const second = stride, third = 2 * stride, fourth = end - length - start;
    const limit = start + length;
    const next = this.next;
    let a = 0, b = 0, c = 0, d = 0;
    for (let i = start; ; i++) {
      for (; i < limit; i++) {
        a = next[a + bytes[i]];
        b = next[b + bytes[i + second]];
        c = next[c + bytes[i + third]];
        d = next[d + bytes[i + fourth]];
        if ((a | b | c | d) < 0) break;
      }
      if (i === limit) return false;
      if (a < 0 && this.accept((a = -a - 2), bytes, i, start, end, found)) return true;
      if (b < 0 && this.accept((b = -b - 2), bytes, i + second, start, end, found)) return true;
      if (c < 0 && this.accept((c = -c - 2), bytes, i + third, start, end, found)) return true;
      if (d < 0 && this.accept((d = -d - 2), bytes, i + fourth, start, end, found)) return true;
    }
  }

  private scanInOneChain(bytes: Uint8Array, start: number, end: number, found: Uint8Array | null): boolean {
    const next = this.next;
    let state = 0;
    for (let i = start; ; i++) {
      for (; i < end; i++) {
        state = next[state + bytes[i]];
        if (state < 0) break;
      }
      if (i === end) return false;
      state = -state - 2;
      if (this.accept(state, bytes, i, start, end, found)) return true;
    }
  }

  /**
   * Breadth-first, so a state's failure state is complete before it: each state's row starts as a
   * copy of its failure state's row, then takes its own transitions; endings are inherited likewise.
   */
  private compile(goto: Array<Map<number, number>>, ends: Ending[][]): Int32Array {
    const target = new Int32Array(goto.length * ALPHABET);
    const failure = new Int32Array(goto.length);
    const queue: number[] = [];
    for (const [symbol, t] of goto[0]) {
      target[symbol] = t;
      queue.push(t);
    }
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head];
      const row = state * ALPHABET;
      const failureRow = failure[state] * ALPHABET;
      ends[state].push(...ends[failure[state]]);
      target.copyWithin(row, failureRow, failureRow + ALPHABET);
      for (const [symbol, t] of goto[state]) {
        failure[t] = target[failureRow + symbol];
        target[row + symbol] = t;
        queue.push(t);
      }
    }
    ends.forEach((e, state) => {
      if (e.length > 0) this.endings.set(state * ALPHABET, e);
    });
    // state numbers become row offsets, negative for an accepting state
    const codes = ends.map((e, t) => (e.length > 0 ? -(t * ALPHABET) - 2 : t * ALPHABET));
    for (let i = 0; i < target.length; i++) target[i] = codes[target[i]];
    for (let row = 0; row < target.length; row += ALPHABET) target.copyWithin(row + UPPER_A, row + LOWER_A, row + LOWER_A + 26);
    return target;
  }
}
