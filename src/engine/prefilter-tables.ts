/**
 * A prefilter's analysis and text automata as saved tables (saved-tables.ts): a run over the same
 * detections reads them instead of walking every detection's plan and building the automata again.
 */
import { asciiJson } from '../rules/ascii-json.js';
import type { CompiledNeedles } from './automaton.js';
import type { Veto } from './prefilter-vetoes.js';
import type { Requirement } from './requirement.js';
import { decodeTables, encodeTables, type DecodedTables } from './saved-tables.js';

/** bumped whenever the saved data changes shape */
const KIND = 'prefilter-6';

/** What the prefilter's analysis (prefilter.ts) found, as far as the tests need it. */
export interface SavedAnalysis {
  /** one of these is in every record some detection matches: the quick test, and grep's */
  needles: string[];
  wholeNumbers: Set<string>;
  /** every literal of every requirement, by index */
  literals: string[];
  /**
   * Per literal, the requirements (one per covered detection: the exact test of the few records
   * that pass the quick one) that name it: only those can be met by a record holding it.
   */
  requirementsOf: Requirement[][];
  /** the vetoes of requirements that have any (prefilter-vetoes.ts) */
  vetoes: ReadonlyMap<Requirement, readonly Veto[]>;
}

/** the two automata of one encoding's tests, as data */
export interface Automata {
  quick: CompiledNeedles;
  exact: CompiledNeedles;
}

/**
 * The text tests' automata and those of the same tests over EVTX record data (UTF-16LE): building
 * the latter took every EVTX scan ~25 ms.
 */
export interface TextAutomata extends Automata {
  utf16: Automata;
}

/** automata per saved test: text quick and exact, then UTF-16 quick and exact */
const AUTOMATA_PER_TEST = 4;

/** one text test: its analysis and automata */
export interface SavedTest {
  analysis: SavedAnalysis;
  text: TextAutomata;
}

/**
 * The tests of record kinds (prefilter-by-kind.ts) by their canonical kind's key: false (no
 * detection can match such a record), true (one without a literal can: it passes), or a text test.
 * Restored, a test is a function that reads it on first use: a scan meets a few kinds of many.
 */
export interface SavedKinds<T = SavedTest> {
  /** the values the canonical kinds keep (prefilter-kinds.ts `canonicalKind`) */
  mentioned: string[];
  tests: Map<string, boolean | T>;
}

/** What a prefilter over `detections` detections was: literal with these tables, or per kind (with the kinds' tests saved, if any). */
export interface SavedPrefilter<T = SavedTest> {
  detections: number;
  literal?: SavedTest;
  kinds?: SavedKinds<T>;
}

/** an analysis as JSON: the requirements once each, named by index (many literals share one) */
interface AnalysisData {
  needles: string[];
  wholeNumbers: string[];
  literals: string[];
  requirements: Requirement[];
  requirementsOf: number[][];
  /** [requirement number, its vetoes] */
  vetoes: Array<[number, readonly Veto[]]>;
}

interface Data {
  detections: number;
  literal?: AnalysisData;
  /** per key, -1 false, -2 true, else the test's number: its analysis is section n, its automata follow the literal ones */
  kinds?: { mentioned: string[]; keys: string[]; tests: number[] };
}

const FAILS = -1;
const PASSES = -2;

/** the automata: the literal test's (quick, exact), then each kind test's in its number's order */
export function encodePrefilter(saved: SavedPrefilter): Uint8Array {
  const automata: CompiledNeedles[] = [];
  const data: Data = { detections: saved.detections };
  if (saved.literal) {
    data.literal = analysisData(saved.literal.analysis);
    automata.push(...automataOf(saved.literal.text));
  }
  const sections: string[] = [];
  if (saved.kinds) {
    // kinds with the same detections share one test object: saved once
    const numbers = new Map<SavedTest, number>();
    const numberOf = (test: SavedTest) => {
      let n = numbers.get(test);
      if (n === undefined) {
        numbers.set(test, (n = numbers.size));
        sections.push(asciiJson(analysisData(test.analysis)));
        automata.push(...automataOf(test.text));
      }
      return n;
    };
    const keys = [...saved.kinds.tests.keys()];
    const tests = [...saved.kinds.tests.values()].map((t) => (t === false ? FAILS : t === true ? PASSES : numberOf(t)));
    data.kinds = { mentioned: saved.kinds.mentioned, keys, tests };
  }
  return encodeTables(KIND, data, automata, sections);
}

/**
 * The prefilter saved in `bytes` if they are intact, of this form, and over as many detections
 * (the store's key names which); undefined otherwise: the caller builds the prefilter anew.
 */
export function decodePrefilter(bytes: Uint8Array | undefined, detections: number): SavedPrefilter<() => SavedTest> | undefined {
  const tables = decodeTables(bytes, KIND);
  const data = tables?.data as Data | undefined;
  if (!tables || data?.detections !== detections) return undefined;
  try {
    const literal = data.literal && { analysis: analysisOf(data.literal), text: textAutomata(tables, 0) };
    return { detections, literal, kinds: data.kinds && savedKinds(data.kinds, literal ? AUTOMATA_PER_TEST : 0, tables) };
  } catch {
    return undefined;
  }
}

function savedKinds(kinds: NonNullable<Data['kinds']>, firstAutomaton: number, tables: DecodedTables): SavedKinds<() => SavedTest> {
  const readers = new Map<number, () => SavedTest>();
  const readerOf = (n: number) => {
    let reader = readers.get(n);
    if (!reader) {
      let test: SavedTest | undefined;
      reader = () =>
        (test ??= {
          analysis: analysisOf(JSON.parse(tables.section(n)) as AnalysisData),
          text: textAutomata(tables, firstAutomaton + AUTOMATA_PER_TEST * n),
        });
      readers.set(n, reader);
    }
    return reader;
  };
  if (kinds.keys.length !== kinds.tests.length) throw new RangeError('kind tests do not match their keys');
  const tests = new Map(kinds.keys.map((key, i) => [key, kinds.tests[i] === FAILS ? false : kinds.tests[i] === PASSES ? true : readerOf(kinds.tests[i])] as const));
  return { mentioned: kinds.mentioned, tests };
}

/** a test's automata in their saved order (AUTOMATA_PER_TEST) */
function automataOf(text: TextAutomata): CompiledNeedles[] {
  return [text.quick, text.exact, text.utf16.quick, text.utf16.exact];
}

/** the test's automata saved from number `first` on (automataOf) */
function textAutomata(tables: DecodedTables, first: number): TextAutomata {
  return { quick: tables.automaton(first), exact: tables.automaton(first + 1), utf16: { quick: tables.automaton(first + 2), exact: tables.automaton(first + 3) } };
}

function analysisData(analysis: SavedAnalysis): AnalysisData {
  const numbered = new Map<Requirement, number>();
  const requirementsOf = analysis.requirementsOf.map((list) => list.map((r) => numbered.get(r) ?? numbered.set(r, numbered.size).size - 1));
  // a requirement filed under no literal is never evaluated: its vetoes are not either
  const vetoes = [...analysis.vetoes].flatMap(([r, v]): Array<[number, readonly Veto[]]> => (numbered.has(r) ? [[numbered.get(r) as number, v]] : []));
  return { needles: analysis.needles, wholeNumbers: [...analysis.wholeNumbers], literals: analysis.literals, requirements: [...numbered.keys()], requirementsOf, vetoes };
}

function analysisOf(data: AnalysisData): SavedAnalysis {
  const { needles, wholeNumbers, literals, requirements, requirementsOf, vetoes } = data;
  return {
    needles,
    wholeNumbers: new Set(wholeNumbers),
    literals,
    requirementsOf: requirementsOf.map((list) => list.map((i) => requirements[i])),
    vetoes: new Map(vetoes.map(([i, v]) => [requirements[i], v])),
  };
}
