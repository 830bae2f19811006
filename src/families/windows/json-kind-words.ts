import { growMemoryTo } from '../../sources/wasm-memory.js';
import wordBytes from './json-kind-words.wasm.js';

/** where the line goes in the scan's memory: after its three i32 of results */
const LINE_AT = 16;
/** zero bytes after the line: no word compared at its last positions runs into stale bytes */
const PADDING = 32;

interface WordExports {
  memory: WebAssembly.Memory;
  scan(at: number, end: number): void;
}

let compiled: WebAssembly.Module | undefined;

/**
 * The Windows JSON kind probe's words in one line, by json-kind-words.wat (a SIMD pass): how often
 * the `"EventID"` key occurs (0, 1, 2 for more), where its first occurrence ends, and whether an
 * exclusion occurs. Exact bytes: the JSON shapes read keys as written.
 */
export class KindWords {
  private readonly exports: WordExports;
  private bytes: Buffer;
  private results: Int32Array;
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
    const length = end - start;
    const needed = LINE_AT + length + PADDING;
    if (this.bytes.length < needed) {
      growMemoryTo(this.exports.memory, needed);
      this.bytes = Buffer.from(this.exports.memory.buffer);
      this.results = new Int32Array(this.exports.memory.buffer, 0, 3);
    }
    line.copy(this.bytes, LINE_AT, start, end);
    this.bytes.fill(0, LINE_AT + length, needed);
    this.exports.scan(LINE_AT, LINE_AT + length);
    this.keys = this.results[0];
    this.keyEnd = this.results[1] < 0 ? -1 : this.results[1] - LINE_AT + start;
    this.excluded = this.results[2] === 1;
  }
}
