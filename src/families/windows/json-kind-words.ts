import { growMemoryTo } from '../../sources/wasm-memory.js';
import wordBytes from './json-kind-words.wasm.js';

/** where the line goes in the scan's memory: after its three i32 of results */
const LINE_AT = 16;
/** zero bytes after the line: no word compared at its last positions runs into stale bytes */
const PADDING = 32;
/** members `members` lists at most (a line with more gets no answer) */
const MAX_MEMBERS = 4096;

interface WordExports {
  memory: WebAssembly.Memory;
  scan(at: number, end: number): void;
  members(at: number, end: number, out: number, max: number): number;
}

let compiled: WebAssembly.Module | undefined;

/** The members of a line as `KindWords.members` lists them. */
export interface LineMembers {
  count: number;
  /** four per member: its key's characters' start and end, its string value's (end negated when escaped) or -1 */
  offsets: Int32Array;
  /** added to an offset, it is one in the line's own buffer */
  shift: number;
}

/**
 * The Windows JSON kind probe's words in one line, by json-kind-words.wat (a SIMD pass): how often
 * the `"EventID"` key occurs (0, 1, 2 for more), where its first occurrence ends, and whether an
 * exclusion occurs. Exact bytes: the JSON shapes read keys as written. And, on demand, the line's
 * members (json-payload.ts), read from the copy `find` made.
 */
export class KindWords {
  private readonly exports: WordExports;
  private bytes: Buffer;
  private results: Int32Array;
  /** the line the memory holds */
  private line?: Uint8Array;
  private lineStart = 0;
  private lineEnd = 0;
  keys = 0;
  /** the offset in the line's buffer just past the key's first occurrence, -1 when none */
  keyEnd = -1;
  excluded = false;

  constructor() {
    compiled ??= new WebAssembly.Module(wordBytes);
    this.exports = new WebAssembly.Instance(compiled).exports as unknown as WordExports;
    this.bytes = Buffer.from(this.exports.memory.buffer);
    this.results = new Int32Array(this.exports.memory.buffer, 0, 3);
  }

  find(line: Buffer, start: number, end: number): void {
    const length = this.load(line, start, end);
    this.exports.scan(LINE_AT, LINE_AT + length);
    this.keys = this.results[0];
    this.keyEnd = this.results[1] < 0 ? -1 : this.results[1] - LINE_AT + start;
    this.excluded = this.results[2] === 1;
  }

  /**
   * The members of bytes[start, end) (json-kind-words.wat `members`), undefined when it is not one
   * flat object. The offsets are valid until this object's next call.
   */
  members(bytes: Uint8Array, start: number, end: number): LineMembers | undefined {
    // the line `find` copied is read in place (the same record, still being prefiltered)
    const length = this.line === bytes && this.lineStart === start && this.lineEnd === end ? end - start : this.load(bytes, start, end);
    const out = (LINE_AT + length + PADDING + 3) & ~3;
    const max = Math.min(MAX_MEMBERS, length);
    this.memoryFor(out + max * 16);
    const count = this.exports.members(LINE_AT, LINE_AT + length, out, max);
    if (count < 0) return undefined;
    return { count, offsets: new Int32Array(this.exports.memory.buffer, out, count * 4), shift: start - LINE_AT };
  }

  /** copies bytes[start, end) to LINE_AT, zeros after it; returns its length */
  private load(bytes: Uint8Array, start: number, end: number): number {
    const length = end - start;
    this.memoryFor(LINE_AT + length + PADDING);
    // a plain view: a Buffer's subarray costs a Buffer construction per line
    this.bytes.set(new Uint8Array(bytes.buffer, bytes.byteOffset + start, length), LINE_AT);
    this.bytes.fill(0, LINE_AT + length, LINE_AT + length + PADDING);
    this.line = bytes;
    this.lineStart = start;
    this.lineEnd = end;
    return length;
  }

  private memoryFor(bytes: number): void {
    if (this.bytes.length >= bytes) return;
    growMemoryTo(this.exports.memory, bytes);
    this.bytes = Buffer.from(this.exports.memory.buffer);
    this.results = new Int32Array(this.exports.memory.buffer, 0, 3);
  }
}

/** one finder per thread: a call is synchronous, so no other comes between a find and its reads */
let words: KindWords | undefined;

export function kindWords(): KindWords {
  words ??= new KindWords();
  return words;
}
