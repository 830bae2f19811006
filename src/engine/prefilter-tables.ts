/**
 * A prefilter's analysis and text automata as saved tables (saved-tables.ts): a run over the same
 * detections reads them instead of walking every detection's plan and building the automata again.
 */
import type { CompiledNeedles } from './automaton.js';
import type { Requirement } from './requirement.js';
import { decodeTables, encodeTables, type DecodedTables } from './saved-tables.js';

/** bumped whenever the saved data changes shape */
const KIND = 'prefilter-1';

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
}

/** the two automata of the text tests, as data */
export interface TextAutomata {
  quick: CompiledNeedles;
  exact: CompiledNeedles;
}

/** What a prefilter over `detections` detections was: per-kind (no tables), or literal with these. */
export interface SavedPrefilter {
  detections: number;
  literal?: { analysis: SavedAnalysis; text: TextAutomata };
}

interface Data {
  detections: number;
  literal?: {
    needles: string[];
    wholeNumbers: string[];
    literals: string[];
    /** the requirements once each; requirementsOf names them by index (many literals share one) */
    requirements: Requirement[];
    requirementsOf: number[][];
  };
}

/** the automata, when literal: the quick test's, then the exact test's */
export function encodePrefilter(saved: SavedPrefilter): Uint8Array {
  if (!saved.literal) return encodeTables(KIND, { detections: saved.detections } satisfies Data, []);
  const { analysis, text } = saved.literal;
  const numbered = new Map<Requirement, number>();
  const requirementsOf = analysis.requirementsOf.map((list) => list.map((r) => numbered.get(r) ?? numbered.set(r, numbered.size).size - 1));
  const literal = { needles: analysis.needles, wholeNumbers: [...analysis.wholeNumbers], literals: analysis.literals, requirements: [...numbered.keys()], requirementsOf };
  return encodeTables(KIND, { detections: saved.detections, literal } satisfies Data, [text.quick, text.exact]);
}

/**
 * The prefilter saved in `bytes` if they are intact, of this form, and over as many detections
 * (the store's key names which); undefined otherwise: the caller builds the prefilter anew.
 */
export function decodePrefilter(bytes: Uint8Array | undefined, detections: number): SavedPrefilter | undefined {
  const tables = decodeTables(bytes, KIND);
  const data = tables?.data as Data | undefined;
  if (!tables || data?.detections !== detections) return undefined;
  if (!data.literal) return { detections };
  try {
    return literalPrefilter(detections, data.literal, tables);
  } catch {
    return undefined;
  }
}

function literalPrefilter(detections: number, literal: NonNullable<Data['literal']>, tables: DecodedTables): SavedPrefilter {
  const quick = tables.automaton(0);
  const exact = tables.automaton(1);
  const { needles, wholeNumbers, literals, requirements, requirementsOf } = literal;
  const analysis = { needles, wholeNumbers: new Set(wholeNumbers), literals, requirementsOf: requirementsOf.map((list) => list.map((i) => requirements[i])) };
  return { detections, literal: { analysis, text: { quick, exact } } };
}
