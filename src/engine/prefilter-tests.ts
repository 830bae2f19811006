/**
 * The prefilter's two tests over one raw encoding (prefilter.ts): the quick one finds any needle in
 * one pass, the exact one which literals a record holds and whether they meet some requirement.
 */
import { NeedleAutomaton, type Needle } from './automaton.js';
import type { Automata, SavedAnalysis, TextAutomata } from './prefilter-tables.js';
import type { PayloadFields, PayloadReader } from '../sources/source.js';
import { VetoTest } from './prefilter-vetoes.js';
import { isMetFrom, type Requirement } from './requirement.js';

/** records whose quick-test answers decide whether it is kept, at the start of each period */
const QUICK_SAMPLE = 512;
/**
 * records per period: the decision is taken again every this many records, so a start unlike the
 * rest (a file that opens with the attack, then holds days of benign events) costs one period of
 * exact tests at most, not the whole run
 */
const QUICK_PERIOD = 65_536;
/** the share of those it must pass to be dropped (it then saves too few exact tests to pay for its own pass) */
const QUICK_USELESS_SHARE = 0.9;

/**
 * The two tests for one raw encoding, each automaton built on first use: a scan of text files never
 * needs the UTF-16 ones, and one whose records all fail the quick test never needs the exact one.
 */
export class EncodedTests {
  private quickNeedles: NeedleAutomaton | undefined;
  private exactNeedles: NeedleAutomaton | undefined;
  /** which literals the record being tested contains, reused from record to record (all 0 between records) */
  private readonly found: Uint8Array;
  /** the literals set in `found`, in the order found */
  private readonly hits: number[] = [];
  /** the requirements the record being tested meets and its vetoes rule out (empty between records) */
  private readonly ruledOut: Requirement[] = [];
  private vetoTestOf?: Map<Requirement, VetoTest>;
  /** records mayMatchBytes saw in this period, and how many of its sample passed the quick test */
  private seen = 0;
  private quickPassed = 0;
  private quickUseless = false;
  private overUtf16?: EncodedTests;

  constructor(
    private readonly analysis: SavedAnalysis,
    private readonly forms: (literal: string) => Needle[],
    /** the automata as an earlier run saved them, restored on first use too (each table is a megabyte of fresh memory) */
    private readonly saved?: Automata & { utf16?: Automata },
  ) {
    this.found = new Uint8Array(analysis.literals.length);
  }

  /** the analysis and the automata, of text and of UTF-16, as data (prefilter-tables.ts), the automata built now if not yet */
  compiled(): { analysis: SavedAnalysis; text: TextAutomata } {
    return { analysis: this.analysis, text: { ...this.automata(), utf16: this.utf16.automata() } };
  }

  /** this encoding's two automata as data */
  private automata(): Automata {
    return this.saved ?? { quick: this.quick.compiled(), exact: this.exactAll.compiled() };
  }

  /**
   * The same tests over EVTX record data, built on first use: there text is UTF-16LE (each ASCII
   * letter followed by NUL) and numbers are binary.
   */
  get utf16(): EncodedTests {
    this.overUtf16 ??= new EncodedTests(this.analysis, (n) => [Buffer.from(n, 'utf16le'), ...binaryForms(n)].map((bytes) => ({ bytes })), this.saved?.utf16);
    return this.overUtf16;
  }

  /** finds any one of the quick needles */
  get quick(): NeedleAutomaton {
    this.quickNeedles ??= this.saved ? new NeedleAutomaton(this.saved.quick) : quickAutomaton(this.analysis, this.forms);
    return this.quickNeedles;
  }

  /** finds every literal, each flagged with its index */
  private get exactAll(): NeedleAutomaton {
    this.exactNeedles ??= this.saved ? new NeedleAutomaton(this.saved.exact) : exactAutomaton(this.analysis, this.forms);
    return this.exactNeedles;
  }

  /**
   * Whether bytes[start, end) pass both tests; for the rest of a period in whose sample the quick
   * test passed nearly every record, only the exact one. Each test is a necessary condition of a
   * match, so skipping one passes more records (each parsed), never fewer. On the OTRF set the
   * quick test passes 98% of Sysmon 7 lines: a second pass over each for nothing.
   */
  mayMatchBytes(bytes: Uint8Array, start?: number, end?: number, payload?: PayloadFields): boolean {
    const inPeriod = this.seen++;
    if (this.seen === QUICK_PERIOD) this.seen = 0;
    if (inPeriod < QUICK_SAMPLE) {
      if (inPeriod === 0) this.quickPassed = 0;
      const passed = this.quick.matchesBytes(bytes, start, end);
      if (passed) this.quickPassed++;
      if (inPeriod === QUICK_SAMPLE - 1) this.quickUseless = this.quickPassed >= QUICK_SAMPLE * QUICK_USELESS_SHARE;
      if (!passed) return false;
    } else if (!this.quickUseless && !this.quick.matchesBytes(bytes, start, end)) return false;
    this.exactAll.foundInBytes(this.found, bytes, start, end, this.hits);
    return this.exact(payload, bytes, start ?? 0, end ?? bytes.length);
  }

  /** both tests on bytes[start, end), every time (mayMatchBytes without its sampling) */
  passesBoth(bytes: Uint8Array, start?: number, end?: number): boolean {
    if (!this.quick.matchesBytes(bytes, start, end)) return false;
    this.exactAll.foundInBytes(this.found, bytes, start, end, this.hits);
    return this.exact();
  }

  /**
   * passesBoth of each range of bytes, [ranges[2i], ranges[2i + 1]) (ascending, apart), in
   * passed[i]: the quick test in one pass over them all (NeedleAutomaton.matchesEachRange), the
   * exact one on each range it passes.
   */
  passesEach(bytes: Uint8Array, ranges: ArrayLike<number>, passed: Uint8Array): void {
    this.quick.matchesEachRange(bytes, ranges, passed);
    for (let i = 0; i < ranges.length >> 1; i++) {
      if (passed[i] === 0) continue;
      this.exactAll.foundInBytes(this.found, bytes, ranges[2 * i], ranges[2 * i + 1], this.hits);
      if (!this.exact()) passed[i] = 0;
    }
  }

  /** both tests on a record's text (no quick-test sampling: text is tested where bytes are not at hand) */
  mayMatchText(text: string): boolean {
    if (!this.quick.matchesText(text)) return false;
    this.exactAll.foundInText(this.found, text, this.hits);
    return this.exact();
  }

  /**
   * Whether some detection's requirement is met by the literals the exact automaton has just flagged
   * in `found` (and listed in `hits`) and, when `payload` reads the payload fields of the record
   * bytes[start, end), not ruled out by its vetoes (prefilter-vetoes.ts). Leaves both empty.
   */
  private exact(payload?: PayloadFields, bytes?: Uint8Array, start = 0, end = 0): boolean {
    const { found, hits, ruledOut } = this;
    // a record holds few of the thousands of literals: only those found are looked at, and only
    // the requirements naming one of them are evaluated
    const { requirementsOf } = this.analysis;
    const vetoTests = payload && this.vetoTests;
    let reader: PayloadReader | undefined | null = null;
    let met = false;
    try {
      for (let i = 0; i < hits.length && !met; i++) {
        const requirements = requirementsOf[hits[i]];
        for (let j = 0; j < requirements.length && !met; j++) {
          const requirement = requirements[j];
          if (!isMetFrom(requirement, found, hits)) continue;
          const veto = vetoTests?.get(requirement);
          if (veto === undefined) met = true;
          else if (!ruledOut.includes(requirement)) {
            // read once per record, and only for one whose literals meet a vetoed requirement
            if (reader === null) reader = (payload as PayloadFields)(bytes as Uint8Array, start, end);
            if (reader === undefined || !veto.rulesOut(reader)) met = true;
            else ruledOut.push(requirement);
          }
        }
      }
    } finally {
      // emptied whatever happens: the next record starts from nothing found
      for (const literal of hits) found[literal] = 0;
      hits.length = 0;
      ruledOut.length = 0;
    }
    return met;
  }

  /** each vetoed requirement's test, built on first use; undefined without vetoes */
  private get vetoTests(): Map<Requirement, VetoTest> | undefined {
    if (this.analysis.vetoes.size === 0) return undefined;
    this.vetoTestOf ??= new Map([...this.analysis.vetoes].map(([r, vetoes]) => [r, new VetoTest(vetoes)]));
    return this.vetoTestOf;
  }
}

/** the quick test's automaton: any one of the needles */
function quickAutomaton(analysis: SavedAnalysis, forms: (literal: string) => Needle[]): NeedleAutomaton {
  return new NeedleAutomaton(analysis.needles.flatMap(forms));
}

/** the exact test's automaton: every literal, each form flagged with its literal's index */
function exactAutomaton(analysis: SavedAnalysis, forms: (literal: string) => Needle[]): NeedleAutomaton {
  return new NeedleAutomaton(analysis.literals.flatMap((literal, flag) => forms(literal).map((form) => ({ ...form, flag }))));
}

/** A whole field value in text (a port) never touches another digit: `7000` must not match a timestamp. */
function textForms(analysis: SavedAnalysis): (literal: string) => Needle[] {
  return (n) => [{ bytes: Buffer.from(n, 'latin1'), digitBounded: analysis.wholeNumbers.has(n) }];
}

export function textTests(analysis: SavedAnalysis, built?: TextAutomata): EncodedTests {
  return new EncodedTests(analysis, textForms(analysis), built);
}

/**
 * EVTX stores typed numbers (ports, ids) in binary, not as text: a decimal needle also matches
 * its little-endian integer encodings. Extra matches only cost a parse.
 */
function binaryForms(needle: string): Uint8Array[] {
  if (!/^\d+$/.test(needle)) return [];
  const value = BigInt(needle);
  const forms: Uint8Array[] = [];
  for (const width of [2, 4, 8]) {
    if (value >= 1n << BigInt(width * 8)) continue;
    const buf = Buffer.alloc(8);
    buf.writeBigUInt64LE(value, 0);
    forms.push(buf.subarray(0, width));
  }
  return forms;
}
