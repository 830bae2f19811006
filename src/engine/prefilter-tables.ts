/**
 * A prefilter's analysis and text automata as bytes, so that a run over the same detections reads
 * them instead of rebuilding them: the analysis walks every detection's plan and the automata's
 * tables are megabytes, together the larger part of a small scan's start-up. The bytes carry a
 * digest of themselves, so a damaged or truncated file is refused (and the prefilter rebuilt),
 * never read as other tables.
 *
 * Layout: the SHA-256 of the rest (32 bytes), the header's length (u32 LE), the header (JSON,
 * ASCII), then each automaton's table (CompiledNeedles: `order`, then `changes`) as 32-bit integers.
 */
import { createHash } from 'node:crypto';
import { asciiJson } from '../rules/ascii-json.js';
import type { CompiledNeedles, Ending } from './automaton.js';
import type { Analysis, TextAutomata } from './prefilter.js';
import type { Requirement } from './requirement.js';

/** bumped whenever the header or the tables change shape */
const FORMAT = 1;
const MAGIC = 'tunnelwatch-prefilter';
const DIGEST_BYTES = 32;

/**
 * Where a prefilter's tables are kept between runs (the compiled-content cache keeps them beside
 * the entry of the same rules, keyed by the running code too: src/rules/content-cache.ts).
 */
export interface PrefilterStore {
  read(): Uint8Array | undefined;
  write(bytes: Uint8Array): void;
}

/** What a prefilter over `detections` detections was: per-kind (no tables), or literal with these. */
export interface SavedPrefilter {
  detections: number;
  literal?: { analysis: Omit<Analysis, 'uncovered'>; text: TextAutomata };
}

interface Header {
  magic: string;
  format: number;
  detections: number;
  literal?: {
    needles: string[];
    wholeNumbers: string[];
    literals: string[];
    /** the requirements once each; requirementsOf names them by index (many literals share one) */
    requirements: Requirement[];
    requirementsOf: number[][];
    automata: { quick: SavedAutomaton; exact: SavedAutomaton };
  };
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

export function encodePrefilter(saved: SavedPrefilter): Uint8Array {
  const header: Header = { magic: MAGIC, format: FORMAT, detections: saved.detections };
  const tables: Int32Array[] = [];
  if (saved.literal) {
    const { analysis, text } = saved.literal;
    const numbered = new Map<Requirement, number>();
    const requirementsOf = analysis.requirementsOf.map((list) => list.map((r) => numbered.get(r) ?? numbered.set(r, numbered.size).size - 1));
    const save = (compiled: CompiledNeedles): SavedAutomaton => {
      tables.push(compiled.order, compiled.changes);
      const endings = compiled.endings.flatMap((list, state) => list.flatMap((e) => [state, e.flag, e.length, e.bounded ? 1 : 0]));
      return { order: compiled.order.length, changes: compiled.changes.length, states: compiled.endings.length, longest: compiled.longest, flags: compiled.flags, endings };
    };
    header.literal = {
      needles: analysis.needles,
      wholeNumbers: [...analysis.wholeNumbers],
      literals: analysis.literals,
      requirements: [...numbered.keys()],
      requirementsOf,
      automata: { quick: save(text.quick), exact: save(text.exact) },
    };
  }
  // non-ASCII literals (Sigma's look-alike letters) as \u escapes: the header is read as Latin-1
  const json = Buffer.from(asciiJson(header), 'latin1');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(json.length);
  const body = Buffer.concat([length, json, ...tables.map((t) => new Uint8Array(t.buffer, t.byteOffset, t.byteLength))]);
  return Buffer.concat([createHash('sha256').update(body).digest(), body]);
}

/**
 * The prefilter saved in `bytes` if they are intact, of this format, and over as many detections
 * (the store's key names which); undefined otherwise: the caller builds the prefilter anew.
 */
export function decodePrefilter(bytes: Uint8Array | undefined, detections: number): SavedPrefilter | undefined {
  if (bytes === undefined || bytes.length < DIGEST_BYTES + 4) return undefined;
  try {
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    const body = buffer.subarray(DIGEST_BYTES);
    if (!createHash('sha256').update(body).digest().equals(buffer.subarray(0, DIGEST_BYTES))) return undefined;
    const headerBytes = body.readUInt32LE(0);
    const header = JSON.parse(body.toString('latin1', 4, 4 + headerBytes)) as Header;
    if (header.magic !== MAGIC || header.format !== FORMAT || header.detections !== detections) return undefined;
    if (!header.literal) return { detections };
    const { needles, wholeNumbers, literals, requirements, requirementsOf, automata } = header.literal;
    let at = 4 + headerBytes;
    // copied out: the file's bytes need not be aligned for 32-bit views
    const integers = (count: number) => {
      const out = new Int32Array(count);
      const bytes = body.subarray(at, (at += count * Int32Array.BYTES_PER_ELEMENT));
      if (bytes.length !== out.byteLength) throw new RangeError('truncated tables');
      new Uint8Array(out.buffer).set(bytes);
      return out;
    };
    const restore = (saved: SavedAutomaton) => compiledOf(saved, integers(saved.order), integers(saved.changes));
    const text = { quick: restore(automata.quick), exact: restore(automata.exact) };
    if (at !== body.length) return undefined;
    const analysis = { needles, wholeNumbers: new Set(wholeNumbers), literals, requirementsOf: requirementsOf.map((list) => list.map((i) => requirements[i])) };
    return { detections, literal: { analysis, text } };
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
