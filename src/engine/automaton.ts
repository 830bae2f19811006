/**
 * A multi-needle substring matcher (Aho-Corasick compiled to a DFA) that folds ASCII case.
 * One pass over the input whatever the number of needles: the prefilter's cost must not grow
 * with the rule set. Built from literal needles only, so no input can make it backtrack.
 *
 * A needle may be *digit-bounded*: it only counts where no digit touches it on either side. A
 * port rule's `7000` must match the field value `7000`, not the middle of a timestamp.
 */
const ALPHABET = 257;
/** every code unit above 255 maps here; needles are ASCII or bytes, so it never extends a match */
const OTHER = 256;
/** a transition into an accepting state is stored as this value: the scan stops at once */
const FOUND = -1;

export interface Needle {
  bytes: ArrayLike<number>;
  /** only where the bytes before and after are not ASCII digits (or are the record's edges) */
  digitBounded?: boolean;
}

function fold(code: number): number {
  return code >= 65 && code <= 90 ? code + 32 : code;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

export class NeedleAutomaton {
  /**
   * Row offsets (state × ALPHABET) of the next state; FOUND for a state that accepts a plain needle;
   * -(offset + 2) for a state that ends a digit-bounded needle, whose edges are checked before
   * the scan goes on from `offset`. Upper-case columns copy lower-case.
   */
  private readonly next: Int32Array;
  /** per state row offset: the lengths of the digit-bounded needles ending there */
  private readonly boundedLengths = new Map<number, number[]>();

  constructor(needles: Needle[]) {
    const goto: Array<Map<number, number>> = [new Map()];
    const ends: Array<{ plain: boolean; bounded: number[] }> = [{ plain: false, bounded: [] }];
    for (const { bytes, digitBounded } of needles) {
      if (bytes.length === 0) continue;
      let state = 0;
      for (let i = 0; i < bytes.length; i++) {
        const symbol = fold(bytes[i]);
        let target = goto[state].get(symbol);
        if (target === undefined) {
          target = goto.length;
          goto.push(new Map());
          ends.push({ plain: false, bounded: [] });
          goto[state].set(symbol, target);
        }
        state = target;
      }
      if (digitBounded) ends[state].bounded.push(bytes.length);
      else ends[state].plain = true;
    }
    this.next = this.compile(goto, ends);
  }

  matchesText(text: string): boolean {
    const next = this.next;
    let state = 0;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      state = next[state + (code > 255 ? OTHER : code)];
      if (state < 0) {
        if (state === FOUND) return true;
        state = -state - 2;
        if (this.boundedInText(state, text, i)) return true;
      }
    }
    return false;
  }

  /** whether bytes[start, end) contain a needle */
  matchesBytes(bytes: Uint8Array, start = 0, end = bytes.length): boolean {
    const next = this.next;
    let state = 0;
    for (let i = start; i < end; i++) {
      state = next[state + bytes[i]];
      if (state < 0) {
        if (state === FOUND) return true;
        state = -state - 2;
        if (this.boundedInBytes(state, bytes, i, start, end)) return true;
      }
    }
    return false;
  }

  /**
   * A digit-bounded needle ending at `last` with no digit on either side. Two copies (text, bytes)
   * rather than one taking an accessor: a closure over the input would slow the scan loop itself.
   */
  private boundedInBytes(row: number, bytes: Uint8Array, last: number, start: number, end: number): boolean {
    if (last + 1 < end && isDigit(bytes[last + 1])) return false;
    for (const length of this.boundedLengths.get(row) ?? []) {
      const before = last - length;
      if (before < start || !isDigit(bytes[before])) return true;
    }
    return false;
  }

  private boundedInText(row: number, text: string, last: number): boolean {
    if (last + 1 < text.length && isDigit(text.charCodeAt(last + 1))) return false;
    for (const length of this.boundedLengths.get(row) ?? []) {
      const before = last - length;
      if (before < 0 || !isDigit(text.charCodeAt(before))) return true;
    }
    return false;
  }

  /** Breadth-first: each state's missing transitions and outputs come from its failure state. */
  private compile(goto: Array<Map<number, number>>, ends: Array<{ plain: boolean; bounded: number[] }>): Int32Array {
    const target = new Int32Array(goto.length * ALPHABET);
    const failure = new Int32Array(goto.length);
    const queue: number[] = [];
    for (const [symbol, t] of goto[0]) {
      target[symbol] = t;
      queue.push(t);
    }
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head];
      const inherited = ends[failure[state]];
      ends[state].plain ||= inherited.plain;
      ends[state].bounded.push(...inherited.bounded);
      for (let symbol = 0; symbol < ALPHABET; symbol++) {
        const t = goto[state].get(symbol);
        if (t === undefined) {
          target[state * ALPHABET + symbol] = target[failure[state] * ALPHABET + symbol];
        } else {
          failure[t] = target[failure[state] * ALPHABET + symbol];
          target[state * ALPHABET + symbol] = t;
          queue.push(t);
        }
      }
    }
    ends.forEach((e, state) => {
      if (!e.plain && e.bounded.length > 0) this.boundedLengths.set(state * ALPHABET, e.bounded);
    });
    const next = new Int32Array(target.length);
    for (let i = 0; i < target.length; i++) {
      const symbol = i % ALPHABET;
      const t = target[i - symbol + fold(symbol)];
      next[i] = ends[t].plain ? FOUND : ends[t].bounded.length > 0 ? -(t * ALPHABET) - 2 : t * ALPHABET;
    }
    return next;
  }
}
