import type { ByteRange } from '../sources/file-blocks.js';
import { fileInputOf } from '../sources/inputs.js';
import type { SourceInput } from '../sources/source.js';

/** A piece of a scan: a whole file, or a range of a large one its format can read alone (Source.split). Plain data, so it crosses to a worker. */
export interface WorkItem {
  /** the file's path, as every location names it */
  name: string;
  /** bytes of the piece (of the compressed file for .gz) */
  size: number;
  gzip: boolean;
  range?: ByteRange;
}

/** slot 0: index of the next item to take; 1: KiB of finished items; 2: workers started; then per item its taker */
const NEXT = 0;
const DONE_KIB = 1;
const STARTED = 2;
const HEADER = 3;

/**
 * The items of a scan shared out through one atomic counter in shared memory: each thread takes
 * the next item the moment it is free, so no thread waits for another to hand it work (a busy
 * main thread answers messages late), and big and small items balance by themselves. An item is
 * claimed by an atomic compare-and-swap of its taker slot, which records who took it: the items of
 * a worker that died can be scanned again.
 */
export class WorkQueue {
  private readonly slots: Int32Array;
  /** where takeLast looks next (only one thread takes from the back) */
  private tail: number;

  constructor(
    readonly items: WorkItem[],
    /** the shared state; pass the one of an existing queue to join it from another thread */
    readonly shared: SharedArrayBuffer = new SharedArrayBuffer((HEADER + items.length) * 4),
  ) {
    this.slots = new Int32Array(shared);
    this.tail = items.length;
  }

  /** The index of the next item for `thread` (0: the main thread, workers from 1), or -1 when none is left. */
  take(thread: number): number {
    for (;;) {
      const i = Atomics.add(this.slots, NEXT, 1);
      if (i >= this.items.length) return -1;
      if (this.claim(i, thread)) return i;
    }
  }

  /**
   * Like take, from the other end: the smallest items when they are sorted largest first. Once an
   * item there is already taken, so is every one before it (take hands them out in order).
   */
  takeLast(thread: number): number {
    if (this.tail === 0) return -1;
    this.tail--;
    if (this.claim(this.tail, thread)) return this.tail;
    this.tail = 0;
    return -1;
  }

  private claim(i: number, thread: number): boolean {
    return Atomics.compareExchange(this.slots, HEADER + i, 0, thread + 1) === 0;
  }

  /** A worker says it is ready to take items. */
  start(): void {
    Atomics.add(this.slots, STARTED, 1);
  }

  /** workers that said they are ready */
  get started(): number {
    return Atomics.load(this.slots, STARTED);
  }

  /** Counts item `i` done, for progress. */
  finish(i: number): void {
    Atomics.add(this.slots, DONE_KIB, Math.ceil(this.items[i].size / 1024));
  }

  /** bytes of the finished items, from every thread */
  get doneBytes(): number {
    return Atomics.load(this.slots, DONE_KIB) * 1024;
  }

  /** the items `thread` took */
  takenBy(thread: number): WorkItem[] {
    return this.items.filter((_, i) => Atomics.load(this.slots, HEADER + i) === thread + 1);
  }
}

/** the input a work item stands for, in any thread */
export function inputOf(item: WorkItem): SourceInput {
  return fileInputOf(item.name, item.size, item.gzip, item.range);
}
