/**
 * Tables the engine derives from detections (the prefilter's, the detector's literal indexes), as
 * bytes kept between runs: a run over the same detections reads them instead of deriving them
 * again, which is most of a small scan's start-up. The bytes carry a digest of themselves, so a
 * damaged or truncated file is refused (and the tables derived anew), never read as other tables.
 *
 * Layout: the SHA-256 of the rest (32 bytes), the header's length (u32 LE), the header (JSON,
 * ASCII), each automaton's table (CompiledNeedles: `order`, then `changes`) as 32-bit integers,
 * then the sections (ASCII text). Automata and sections are read on first use: a run needs the
 * literal indexes of the few buckets its events fall in, not all of them.
 */
import { asciiJson } from '../rules/ascii-json.js';
import { sealed, unsealed } from '../rules/cache-files.js';
import type { CompiledNeedles, Ending } from './automaton.js';
import { BYTE_VALUES } from './dfa-kernel.js';

/** bumped whenever the layout or the automata's form changes */
const FORMAT = 6;
const MAGIC = 'tunnelwatch-tables';

/**
 * Where derived tables are kept between runs (the compiled-content cache keeps them beside the
 * entry of the same rules, keyed by the running code too: src/rules/content-cache.ts).
 */
export interface TableStore {
  read(): Uint8Array | undefined;
  write(bytes: Uint8Array): void;
}

interface Header {
  magic: string;
  format: number;
  /** what the tables are, with their own version (`prefilter-1`) */
  kind: string;
  data: unknown;
  automata: SavedAutomaton[];
  /** the sections' lengths */
  sections: number[];
}

/** What decodeTables read: the header's data, and the automata and sections by index, each read when asked for. */
export interface DecodedTables {
  data: unknown;
  /** throws a RangeError for an index the tables do not have */
  automaton(index: number): CompiledNeedles;
  section(index: number): string;
}

interface SavedAutomaton {
  /** the lengths of its `order` and `changes`, which follow the header in this order */
  order: number;
  changes: number;
  states: number;
  longest: number;
  /** per ending: its state, flag, length, and 1 when digit-bounded */
  endings: number[];
  /** per byte value, its class (CompiledNeedles), as base64; empty for rows of one entry per byte value */
  classes: string;
}

/** `data` (JSON-safe) names its automata and `sections` (text, each read on its own) by their index */
export function encodeTables(kind: string, data: unknown, automata: CompiledNeedles[], sections: string[] = []): Uint8Array {
  const sectionBytes = sections.map((text) => Buffer.from(text, 'latin1'));
  const header: Header = {
    magic: MAGIC,
    format: FORMAT,
    kind,
    data,
    sections: sectionBytes.map((b) => b.length),
    automata: automata.map((a) => ({
      order: a.order.length,
      changes: a.changes.length,
      states: a.endings.length,
      longest: a.longest,
      endings: a.endings.flatMap((list, state) => list.flatMap((e) => [state, e.flag, e.length, e.bounded ? 1 : 0])),
      classes: a.classes ? Buffer.from(a.classes).toString('base64') : '',
    })),
  };
  // non-ASCII literals (Sigma's look-alike letters) as \u escapes: the header is read as Latin-1
  const json = Buffer.from(asciiJson(header), 'latin1');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(json.length);
  const integers = automata.flatMap((a) => [a.order, a.changes]).map((t) => new Uint8Array(t.buffer, t.byteOffset, t.byteLength));
  const body = Buffer.concat([length, json, ...integers, ...sectionBytes]);
  return sealed(body);
}

/** The tables in `bytes` if they are intact, of this layout and of this kind; undefined otherwise. */
export function decodeTables(bytes: Uint8Array | undefined, kind: string): DecodedTables | undefined {
  const body = unsealed(bytes);
  if (body === undefined || body.length < 4) return undefined;
  try {
    const headerBytes = body.readUInt32LE(0);
    const header = JSON.parse(body.toString('latin1', 4, 4 + headerBytes)) as Header;
    if (header.magic !== MAGIC || header.format !== FORMAT || header.kind !== kind) return undefined;
    // where each automaton's integers and each section start
    let at = 4 + headerBytes;
    const automataAt = header.automata.map((a) => (at += 4 * (a.order + a.changes)) - 4 * (a.order + a.changes));
    const sectionsAt = header.sections.map((length) => (at += length) - length);
    if (at !== body.length) return undefined;
    const automaton = (index: number) => {
      const saved = header.automata[index];
      if (saved === undefined) throw new RangeError(`no automaton ${index}`);
      return compiledOf(saved, integersAt(body, automataAt[index], saved.order), integersAt(body, automataAt[index] + 4 * saved.order, saved.changes));
    };
    const section = (index: number) => {
      if (header.sections[index] === undefined) throw new RangeError(`no section ${index}`);
      return body.toString('latin1', sectionsAt[index], sectionsAt[index] + header.sections[index]);
    };
    return { data: header.data, automaton, section };
  } catch {
    return undefined;
  }
}

/** `count` 32-bit integers at `at`, copied out: the file's bytes need not be aligned for a 32-bit view */
function integersAt(body: Buffer, at: number, count: number): Int32Array {
  const out = new Int32Array(count);
  new Uint8Array(out.buffer).set(body.subarray(at, at + out.byteLength));
  return out;
}

function compiledOf(saved: SavedAutomaton, order: Int32Array, changes: Int32Array): CompiledNeedles {
  // most states end no needle: they share one empty list
  const none: Ending[] = [];
  const endings: Ending[][] = new Array<Ending[]>(saved.states).fill(none);
  const e = saved.endings;
  for (let i = 0; i < e.length; i += 4) {
    if (endings[e[i]] === none) endings[e[i]] = [];
    endings[e[i]].push({ flag: e[i + 1], length: e[i + 2], bounded: e[i + 3] === 1 });
  }
  if (saved.classes === '') return { order, changes, endings, longest: saved.longest };
  const classes = new Uint8Array(Buffer.from(saved.classes, 'base64'));
  if (classes.length !== BYTE_VALUES) throw new RangeError(`an automaton's classes hold ${classes.length} bytes`);
  return { order, changes, endings, longest: saved.longest, classes };
}
