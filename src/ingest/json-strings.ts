import kernelBytes from './json-strings.wasm.js';

/** What a string value held: escapes at all, escapes JSON.stringify would not write (\/, \u0041...), surrogate escapes. */
export interface StringShape {
  escaped: boolean;
  /** the raw bytes (quotes included) are exactly what JSON.stringify writes for the decoded text */
  canonical: boolean;
  /** a \u escape of a surrogate: left to JSON.parse */
  surrogate: boolean;
}

/** bytes of a body the kernel sees at once: a longer string token is read by the caller's own code */
export const WINDOW = 1 << 20;
/** where the kernel writes a token's text: past the window and its 16 bytes of room (json-strings.wat) */
const OUT = WINDOW + 64;

interface KernelExports {
  memory: WebAssembly.Memory;
  stringEnd(i: number, n: number): number;
  unescape(start: number, end: number, out: number): number;
}

let kernel: { exports: KernelExports; bytes: Uint8Array; owner: JsonStrings | undefined } | undefined;

/**
 * The string tokens of one body, read by json-strings.wat: a window of the body is copied into the
 * kernel's memory (one per thread, 2 MiB) and the kernel finds each token's end and shape, and
 * undoes its escapes, 16 bytes at a time. Whatever the kernel cannot decide from one window (a
 * token longer than WINDOW) answers undefined, and the caller reads it byte by byte as before.
 */
export class JsonStrings {
  private base = 0;
  private length = 0;

  /** `window`: at most WINDOW (tests use small ones, so that tokens cross a window's edge) */
  constructor(
    private readonly body: Buffer,
    private readonly window = WINDOW,
  ) {}

  /** end (after the closing quote) of the string token whose opening quote is at `i`, -1 when it is not valid JSON; its shape in `shape` */
  end(i: number, shape: StringShape): number | undefined {
    const k = this.windowAt(i, i + 1);
    let r = k.exports.stringEnd(i - this.base, this.length);
    if (r === -2 && this.base !== i) r = this.windowFrom(i).exports.stringEnd(0, this.length);
    if (r === -2) return this.base + this.length === this.body.length ? -1 : undefined;
    if (r === -1) return -1;
    shape.escaped = (r & 1) !== 0;
    shape.canonical = (r & 2) === 0;
    shape.surrogate = (r & 4) !== 0;
    return this.base + (r >>> 3);
  }

  /**
   * Writes the text of the valid token body[start, end) (no surrogate escapes) into `out` at `at`
   * and returns where it ends; undefined when the token is longer than a window.
   */
  unescapeInto(start: number, end: number, out: Buffer, at: number): number | undefined {
    if (end - start > this.window) return undefined;
    const k = this.windowAt(start, end);
    const length = k.exports.unescape(start - this.base, end - this.base, OUT);
    out.set(k.bytes.subarray(OUT, OUT + length), at);
    return at + length;
  }

  /** the kernel, with body[from, to) in its window */
  private windowAt(from: number, to: number) {
    const k = kernelOf();
    if (k.owner === this && from >= this.base && to <= this.base + this.length) return k;
    return this.windowFrom(from);
  }

  private windowFrom(from: number) {
    const k = kernelOf();
    this.base = from;
    this.length = Math.min(this.window, this.body.length - from);
    k.bytes.set(this.body.subarray(from, from + this.length), 0);
    k.owner = this;
    return k;
  }
}

function kernelOf() {
  if (!kernel) {
    const exports = new WebAssembly.Instance(new WebAssembly.Module(kernelBytes)).exports as unknown as KernelExports;
    kernel = { exports, bytes: new Uint8Array(exports.memory.buffer), owner: undefined };
  }
  return kernel;
}
