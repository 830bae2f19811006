/**
 * A multi-needle substring matcher (Aho-Corasick compiled to a DFA) that folds ASCII case.
 * One pass over the input whatever the number of needles: the prefilter's cost must not grow
 * with the rule set. Built from literal needles only, so no input can make it backtrack.
 */
const ALPHABET = 257;
/** every code unit above 255 maps here; needles are ASCII or bytes, so it never extends a match */
const OTHER = 256;
/** a transition into an accepting state is stored as this value: the scan stops at once */
const FOUND = -1;

function fold(code: number): number {
  return code >= 65 && code <= 90 ? code + 32 : code;
}

export class NeedleAutomaton {
  /** row offsets (state × ALPHABET) of the next state, or FOUND; upper-case columns copy lower-case */
  private readonly next: Int32Array;

  /** `needles` are byte sequences (a string needle: its char codes, all < 256) */
  constructor(needles: ArrayLike<number>[]) {
    const goto: Array<Map<number, number>> = [new Map()];
    const accepting = [false];
    for (const needle of needles) {
      if (needle.length === 0) continue;
      let state = 0;
      for (let i = 0; i < needle.length; i++) {
        const symbol = fold(needle[i]);
        let target = goto[state].get(symbol);
        if (target === undefined) {
          target = goto.length;
          goto.push(new Map());
          accepting.push(false);
          goto[state].set(symbol, target);
        }
        state = target;
      }
      accepting[state] = true;
    }
    this.next = compile(goto, accepting);
  }

  matchesText(text: string): boolean {
    const next = this.next;
    let state = 0;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      state = next[state + (code > 255 ? OTHER : code)];
      if (state === FOUND) return true;
    }
    return false;
  }

  /** whether bytes[start, end) contain a needle */
  matchesBytes(bytes: Uint8Array, start = 0, end = bytes.length): boolean {
    const next = this.next;
    let state = 0;
    for (let i = start; i < end; i++) {
      state = next[state + bytes[i]];
      if (state === FOUND) return true;
    }
    return false;
  }
}

/** Breadth-first: each state's missing transitions are its failure state's transitions. */
function compile(goto: Array<Map<number, number>>, accepting: boolean[]): Int32Array {
  const target = new Int32Array(goto.length * ALPHABET);
  const failure = new Int32Array(goto.length);
  const queue: number[] = [];
  for (const [symbol, t] of goto[0]) {
    target[symbol] = t;
    queue.push(t);
  }
  for (let head = 0; head < queue.length; head++) {
    const state = queue[head];
    if (accepting[failure[state]]) accepting[state] = true;
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
  const next = new Int32Array(target.length);
  for (let i = 0; i < target.length; i++) {
    const symbol = i % ALPHABET;
    const t = target[i - symbol + fold(symbol)];
    next[i] = accepting[t] ? FOUND : t * ALPHABET;
  }
  return next;
}
