import { v8 } from '../sources/lazy-builtins.js';

/**
 * Share of the V8 heap limit beyond which no new state is opened: what is kept must still become
 * findings, rows and risk events (over twice the state) and be written.
 */
export const HEAP_FILL_LIMIT = 0.2;
/** the heap is looked at once per this many requests for new state, first at the last of the first this many (a look costs about a microsecond) */
const CHECK_EVERY = 128;

/**
 * Whether the heap is too full for new engine state. A count cap alone cannot keep a small heap
 * (`--max-old-space-size`) from a V8 out-of-memory abort; this refuses new state instead, and
 * the refusals are counted like any other cap's (diagnostics/cap-tally.ts).
 */
export class HeapGuard {
  /** from 1: the first look comes at the CHECK_EVERY-th request, so a short scan never loads node:v8 */
  private calls = 1;
  private full = false;

  constructor(private readonly fillLimit = HEAP_FILL_LIMIT) {}

  nearlyFull(): boolean {
    if (this.calls++ % CHECK_EVERY !== 0) return this.full;
    const { used_heap_size: used, heap_size_limit: limit } = v8().getHeapStatistics();
    this.full = used > this.fillLimit * limit;
    return this.full;
  }
}
