/**
 * Tables the engine derives from detections (the prefilter's, the detector's literal indexes), as
 * bytes kept between runs: a run over the same detections reads them instead of deriving them
 * again, which is most of a small scan's start-up. The bytes carry a digest of themselves, so a
 * damaged or truncated file is refused (and the tables derived anew), never read as other tables.
 *
 * Layout: the SHA-256 of the rest (32 bytes), the header's length (u32 LE), the header (JSON,
 * ASCII), then each automaton's table (CompiledNeedles: `order`, then `changes`) as 32-bit integers.
 */
import { createHash } from 'node:crypto';
import { asciiJson } from '../rules/ascii-json.js';
import type { CompiledNeedles, Ending } from './automaton.js';

/** bumped whenever the layout or the automata's form changes */
const FORMAT = 2;
const MAGIC = 'tunnelwatch-tables';
const DIGEST_BYTES = 32;

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
}

interface SavedAutomaton {
  /** the lengths of its `order` and `changes`, which follow the header in this order */
  order: number;
  changes: number;
  states: number;
  longest: number;
  flags: number;
  /** per ending: its state, flag, length, and 1 when digit-bounded */
  endings: number[];
}

/** `data` (JSON-safe) names its automata by their index in `automata` */
export function encodeTables(kind: string, data: unknown, automata: CompiledNeedles[]): Uint8Array {
  const header: Header = {
    magic: MAGIC,
    format: FORMAT,
    kind,
    data,
    automata: automata.map((a) => ({
      order: a.order.length,
      changes: a.changes.length,
      states: a.endings.length,
      longest: a.longest,
      flags: a.flags,
      endings: a.endings.flatMap((list, state) => list.flatMap((e) => [state, e.flag, e.length, e.bounded ? 1 : 0])),
    })),
  };
  // non-ASCII literals (Sigma's look-alike letters) as \u escapes: the header is read as Latin-1
  const json = Buffer.from(asciiJson(header), 'latin1');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(json.length);
  const integers = automata.flatMap((a) => [a.order, a.changes]).map((t) => new Uint8Array(t.buffer, t.byteOffset, t.byteLength));
  const body = Buffer.concat([length, json, ...integers]);
  return Buffer.concat([createHash('sha256').update(body).digest(), body]);
}

/** The tables in `bytes` if they are intact, of this layout and of this kind; undefined otherwise. */
export function decodeTables(bytes: Uint8Array | undefined, kind: string): { data: unknown; automata: CompiledNeedles[] } | undefined {
  if (bytes === undefined || bytes.length < DIGEST_BYTES + 4) return undefined;
  try {
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    const body = buffer.subarray(DIGEST_BYTES);
    if (!createHash('sha256').update(body).digest().equals(buffer.subarray(0, DIGEST_BYTES))) return undefined;
    const headerBytes = body.readUInt32LE(0);
    const header = JSON.parse(body.toString('latin1', 4, 4 + headerBytes)) as Header;
    if (header.magic !== MAGIC || header.format !== FORMAT || header.kind !== kind) return undefined;
    let at = 4 + headerBytes;
    // copied out: the file's bytes need not be aligned for 32-bit views
    const integers = (count: number) => {
      const out = new Int32Array(count);
      const slice = body.subarray(at, (at += count * Int32Array.BYTES_PER_ELEMENT));
      if (slice.length !== out.byteLength) throw new RangeError('truncated tables');
      new Uint8Array(out.buffer).set(slice);
      return out;
    };
    const automata = header.automata.map((saved) => compiledOf(saved, integers(saved.order), integers(saved.changes)));
    return at === body.length ? { data: header.data, automata } : undefined;
  } catch {
    return undefined;
  }
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
  return { order, changes, endings, longest: saved.longest, flags: saved.flags };
}
