import { growMemoryTo } from '../sources/wasm-memory.js';
import kernelBytes from './dfa-kernel.wasm.js';

/** input byte values: the class table has one entry per value */
export const BYTE_VALUES = 256;
const ENTRY_BYTES = Int32Array.BYTES_PER_ELEMENT;

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
  run1c(state: number, at: number, end: number, out: number, classes: number): number;
  run4c(a: number, b: number, c: number, d: number, at: number, limit: number, second: number, third: number, fourth: number, out: number, classes: number): number;
  restore(order: number, pairs: number, changes: number, rowBytes: number): void;
}

const CHAINS = 4;

/**
 * A DFA's transition table and the input being scanned, in WebAssembly memory, and the loops
 * that step through it (dfa-kernel.wat). Rows have one entry per input byte value or, given
 * `classOf`, one per byte class; states are row byte offsets, -(row + 1) when accepting.
 */
export class DfaKernel {
  private readonly exports: KernelExports;
  private view: Buffer;
  /** a row's size in bytes: one i32 entry per class */
  readonly rowBytes: number;
  /** the table's size in entries */
  private readonly entries: number;
  /** where the byte classes are (per byte value, a u16: its class's byte offset in a row), just past the table; -1 without classes */
  private readonly classesAt: number;
  /** where the loops store the chains' states: past the table and the classes */
  private readonly statesAt: number;
  /** where input starts: past the states */
  private readonly inputAt: number;
  /** the chains' states (in memory at statesAt): the loops start from them and leave theirs */
  states: Int32Array;

  /**
   * A kernel with room for `states` rows, the table zeroed (fill it through `table()` or
   * `restore` before scanning): of one entry per byte value or, with `classOf` (per byte value,
   * its class, from 0), one per class.
   */
  constructor(states: number, classOf?: ArrayLike<number>) {
    this.exports = new WebAssembly.Instance(kernelModule()).exports as unknown as KernelExports;
    const rowEntries = classOf ? Math.max(...Array.from({ length: BYTE_VALUES }, (_, b) => classOf[b])) + 1 : BYTE_VALUES;
    this.rowBytes = rowEntries * ENTRY_BYTES;
    this.entries = states * rowEntries;
    const tableBytes = this.entries * ENTRY_BYTES;
    this.classesAt = classOf ? tableBytes : -1;
    this.statesAt = tableBytes + (classOf ? BYTE_VALUES * Uint16Array.BYTES_PER_ELEMENT : 0);
    this.inputAt = this.statesAt + CHAINS * ENTRY_BYTES;
    const memory = this.exports.memory;
    growMemoryTo(memory, this.inputAt);
    this.view = Buffer.from(memory.buffer);
    if (classOf) {
      const offsets = new Uint16Array(memory.buffer, this.classesAt, BYTE_VALUES);
      for (let b = 0; b < BYTE_VALUES; b++) offsets[b] = classOf[b] * ENTRY_BYTES;
    }
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
    this.exports.restore(at, order.length / 2, at + order.byteLength, this.rowBytes);
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
    if (this.classesAt < 0) return this.exports.run1(this.states[0], at, end, this.statesAt);
    return this.exports.run1c(this.states[0], at, end, this.statesAt, this.classesAt);
  }

  /** four chains from `states` at at + (0, second, third, fourth), until at reaches limit: where some accepted, or limit */
  run4(at: number, limit: number, second: number, third: number, fourth: number): number {
    const s = this.states;
    if (this.classesAt < 0) return this.exports.run4(s[0], s[1], s[2], s[3], at, limit, second, third, fourth, this.statesAt);
    return this.exports.run4c(s[0], s[1], s[2], s[3], at, limit, second, third, fourth, this.statesAt, this.classesAt);
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
