/**
 * The detector's candidate indexes (one per dataset: candidate-index.ts) as saved tables
 * (saved-tables.ts): a run over the same detections restores each bucket's literal index instead
 * of deriving its requirements and building its automata again.
 */
import type { CompiledNeedles } from './automaton.js';
import type { SavedCandidateIndex } from './candidate-index.js';
import { decodeTables, encodeTables } from './saved-tables.js';

/** bumped whenever the saved data changes shape */
const KIND = 'candidate-indexes-1';

/** the indexes with each automaton named by its index in the list saved beside them */
type Data = Array<[dataset: string, SavedCandidateIndex<number>]>;

/** the same indexes with each automaton given otherwise */
function withAutomata<A, B>(index: SavedCandidateIndex<A>, to: (automaton: A) => B): SavedCandidateIndex<B> {
  return { buckets: index.buckets.map(({ value, index: literal }) => ({ value, index: { ...literal, fields: literal.fields.map(({ field, needles }) => ({ field, needles: to(needles) })) } })) };
}

export function encodeCandidateIndexes(indexes: ReadonlyMap<string, SavedCandidateIndex>): Uint8Array {
  const automata: CompiledNeedles[] = [];
  const data: Data = [...indexes].map(([dataset, index]) => [dataset, withAutomata(index, (needles) => automata.push(needles) - 1)]);
  return encodeTables(KIND, data, automata);
}

/** the indexes saved in `bytes`, by dataset, if they are intact and of this form */
export function decodeCandidateIndexes(bytes: Uint8Array | undefined): Map<string, SavedCandidateIndex> | undefined {
  const tables = decodeTables(bytes, KIND);
  if (!tables) return undefined;
  const automaton = (i: number) => {
    const found = tables.automata[i];
    if (found === undefined) throw new RangeError('no such automaton');
    return found;
  };
  try {
    return new Map((tables.data as Data).map(([dataset, index]) => [dataset, withAutomata(index, automaton)]));
  } catch {
    return undefined;
  }
}
