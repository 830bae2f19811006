/**
 * The detector's candidate indexes (one per dataset: candidate-index.ts) as saved tables
 * (saved-tables.ts): a run over the same detections restores each bucket's literal index instead
 * of deriving its requirements and building its automata again. Each bucket's index is a section
 * of its own, parsed when the bucket is first used.
 */
import { createHash } from 'node:crypto';
import type { CompiledNeedles } from './automaton.js';
import type { SavedLiteralIndex } from './literal-index.js';
import { decodeTables, encodeTables } from './saved-tables.js';

/**
 * A CandidateIndex as data: the field its rules are bucketed by (null: none), and per bucket, the
 * value that names it (null: the rules that pin none), the positions of the rules it adds (a
 * value's bucket also holds those pinning none), and its literal index (read when asked for).
 */
export interface SavedCandidateIndex {
  field: string | null;
  buckets: Array<{ value: string | null; members: number[]; index: () => SavedLiteralIndex }>;
}

/** bumped whenever the saved data changes shape */
const KIND = 'candidate-indexes-4';

/** per dataset, its field and its buckets: the value naming each, its members, and the section holding its index */
type Data = Array<[dataset: string, field: string | null, buckets: Array<[value: string | null, members: number[], section: number]>]>;

export function encodeCandidateIndexes(indexes: ReadonlyMap<string, SavedCandidateIndex>): Uint8Array {
  const automata: CompiledNeedles[] = [];
  // buckets of one dataset often search one field for the same literals: such automata are saved once
  const numbered = new Map<string, number>();
  const numberOf = (needles: CompiledNeedles) => {
    const key = createHash('sha256').update(needles.order).update(needles.changes).update(needles.classes ?? '').update(JSON.stringify([needles.endings, needles.longest])).digest('hex');
    return numbered.get(key) ?? numbered.set(key, automata.push(needles) - 1).get(key)!;
  };
  const sections: string[] = [];
  const data: Data = [...indexes].map(([dataset, { field, buckets }]) => [
    dataset,
    field,
    buckets.map(({ value, members, index }) => {
      const literal = index();
      // each automaton named by its index in the list saved beside the sections
      const fields = literal.fields.map(({ field, needles }) => ({ field, needles: numberOf(needles) }));
      return [value, members, sections.push(JSON.stringify({ ...literal, fields } satisfies SavedLiteralIndex<number>)) - 1];
    }),
  ]);
  return encodeTables(KIND, data, automata, sections);
}

/** The indexes saved in `bytes`, by dataset, if they are intact and of this form; each bucket's is read on first use. */
export function decodeCandidateIndexes(bytes: Uint8Array | undefined): Map<string, SavedCandidateIndex> | undefined {
  const tables = decodeTables(bytes, KIND);
  if (!tables) return undefined;
  // one object per saved automaton, so that the buckets sharing it share one restored automaton
  const automata = new Map<number, CompiledNeedles>();
  const automaton = (i: number) => automata.get(i) ?? automata.set(i, tables.automaton(i)).get(i)!;
  const bucketIndex = (section: number) => () => {
    const literal = JSON.parse(tables.section(section)) as SavedLiteralIndex<number>;
    return { ...literal, fields: literal.fields.map(({ field, needles }) => ({ field, needles: automaton(needles) })) };
  };
  return new Map((tables.data as Data).map(([dataset, field, buckets]) => [dataset, { field, buckets: buckets.map(([value, members, section]) => ({ value, members, index: bucketIndex(section) })) }]));
}
