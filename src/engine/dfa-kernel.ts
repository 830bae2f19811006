import { readFileSync } from 'node:fs';

const PAGE = 65536;
/** a DFA row: one 4-byte entry per input byte */
export const ROW_BYTES = 256 * 4;

/** compiled once per thread; each kernel is an instance of it with a memory of its own */
let compiled: WebAssembly.Module | undefined;

function kernelModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(readFileSync(new URL('./dfa-kernel.wasm', import.meta.url)));
  return compiled;
}

interface KernelExports {
  memory: WebAssembly.Memory;
  state1: { value: number };
  state2: { value: number };
  state3: { value: number };
  state4: { value: number };
  run1(state: number, at: number, end: number): number;
  run4(a: number, b: number, c: number, d: number, at: number, limit: number, second: number, third: number, fourth: number): number;
}

/**
 * A DFA's transition table and the input being scanned, in WebAssembly memory, and the loops
 * that step through it (dfa-kernel.wat). States are row byte offsets, -(row + 1) when accepting.
 */
export class DfaKernel {
  private readonly exports: KernelExports;
  private view: Buffer;
  /** where input starts: just past the table */
  private readonly inputAt: number;

  constructor(table: Int32Array) {
    this.exports = new WebAssembly.Instance(kernelModule()).exports as unknown as KernelExports;
    this.inputAt = table.byteLength;
    this.view = Buffer.from(this.exports.memory.buffer);
    this.reserve(0);
    new Int32Array(this.exports.memory.buffer, 0, table.length).set(table);
  }

  /** Copies bytes[start, end) in as the input; returns where it starts in kernel memory. */
  load(bytes: Uint8Array, start: number, end: number): number {
    this.reserve(end - start);
    this.view.set(bytes.subarray(start, end), this.inputAt);
    return this.inputAt;
  }

  /** Like load, for text of code points up to U+00FF (one byte each). */
  loadLatin1(text: string): number {
    this.reserve(text.length);
    this.view.write(text, this.inputAt, 'latin1');
    return this.inputAt;
  }

  run1(state: number, at: number, end: number): number {
    return this.exports.run1(state, at, end);
  }

  run4(states: Int32Array, at: number, limit: number, second: number, third: number, fourth: number): number {
    const e = this.exports;
    const stop = e.run4(states[0], states[1], states[2], states[3], at, limit, second, third, fourth);
    states[0] = e.state1.value;
    states[1] = e.state2.value;
    states[2] = e.state3.value;
    states[3] = e.state4.value;
    return stop;
  }

  /** the loaded input (and the table before it) */
  get memory(): Buffer {
    return this.view;
  }

  /** the state run1 stopped in */
  get state(): number {
    return this.exports.state1.value;
  }

  /** grows memory (which detaches the old view) until `inputBytes` fit after the table */
  private reserve(inputBytes: number): void {
    const memory = this.exports.memory;
    const needed = this.inputAt + inputBytes;
    if (memory.buffer.byteLength < needed) memory.grow(Math.ceil((needed - memory.buffer.byteLength) / PAGE));
    if (this.view.buffer !== memory.buffer) this.view = Buffer.from(memory.buffer);
  }
}
