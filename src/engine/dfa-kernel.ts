import { growMemoryTo } from '../sources/wasm-memory.js';
import kernelBytes from './dfa-kernel.wasm.js';

/** a DFA row: one i32 entry per input byte value (the kernel's loops scale a byte by 4) */
export const ROW_ENTRIES = 256;
export const ROW_BYTES = ROW_ENTRIES * Int32Array.BYTES_PER_ELEMENT;

/** compiled once per thread; each kernel is an instance of it with a memory of its own */
let compiled: WebAssembly.Module | undefined;

function kernelModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(kernelBytes);
  return compiled;
}

interface KernelExports {
  memory: WebAssembly.Memory;
  run1(state: number, at: number, end: number, out: number): number;
  run4(a: number, b: number, c: number, d: number, at: number, limit: number, second: number, third: number, fourth: number, out: number): number;
  restore(order: number, pairs: number, changes: number): void;
}

const CHAINS = 4;

/**
 * A DFA's transition table and the input being scanned, in WebAssembly memory, and the loops
 * that step through it (dfa-kernel.wat). States are row byte offsets, -(row + 1) when accepting.
 */
export class DfaKernel {
  private readonly exports: KernelExports;
  private view: Buffer;
  /** where the loops store the chains' states: just past the table */
  private readonly statesAt: number;
  /** where input starts: past the states */
  private readonly inputAt: number;
  /** the chains' states (in memory at statesAt): the loops start from them and leave theirs */
  states: Int32Array;

  /** a kernel with room for a table of `entries` (zeroed: fill it through `table()` before scanning) */
  constructor(private readonly entries: number) {
    this.exports = new WebAssembly.Instance(kernelModule()).exports as unknown as KernelExports;
    this.statesAt = entries * Int32Array.BYTES_PER_ELEMENT;
    this.inputAt = this.statesAt + CHAINS * Int32Array.BYTES_PER_ELEMENT;
    const memory = this.exports.memory;
    growMemoryTo(memory, this.inputAt);
    this.view = Buffer.from(memory.buffer);
    this.states = new Int32Array(memory.buffer, this.statesAt, CHAINS);
  }

  /** the transition table, written in place (valid until the next load grows memory) */
  table(): Int32Array {
    return new Int32Array(this.view.buffer, 0, this.entries);
  }

  /**
   * Writes the table (zeros until then) from a compiled automaton's rows (automaton.ts,
   * CompiledNeedles: `order`, `changes`), in WebAssembly: in JavaScript this ran cold, in the
   * interpreter, at every start of every thread.
   */
  restore(order: Int32Array, changes: Int32Array): void {
    this.reserve(order.byteLength + changes.byteLength);
    const at = this.inputAt;
    new Int32Array(this.view.buffer, at, order.length).set(order);
    new Int32Array(this.view.buffer, at + order.byteLength, changes.length).set(changes);
    this.exports.restore(at, order.length / 2, at + order.byteLength);
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

  /** one chain from states[0] over [at, end): where it accepted (its state left in states[0]), or end */
  run1(at: number, end: number): number {
    return this.exports.run1(this.states[0], at, end, this.statesAt);
  }

  /** four chains from `states` at at + (0, second, third, fourth), until at reaches limit: where some accepted, or limit */
  run4(at: number, limit: number, second: number, third: number, fourth: number): number {
    const s = this.states;
    return this.exports.run4(s[0], s[1], s[2], s[3], at, limit, second, third, fourth, this.statesAt);
  }

  /** the loaded input (and the table before it) */
  get memory(): Buffer {
    return this.view;
  }

  /** grows memory until `inputBytes` fit after the states, and maps the views anew */
  private reserve(inputBytes: number): void {
    const needed = this.inputAt + inputBytes;
    if (this.view.length >= needed) return;
    const memory = this.exports.memory;
    growMemoryTo(memory, needed);
    this.view = Buffer.from(memory.buffer);
    this.states = new Int32Array(memory.buffer, this.statesAt, CHAINS);
  }
}
