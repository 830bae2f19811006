import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the old generation grow past what its last full collection kept, as a percent:
 * 1.5x. Left to itself V8 picks up to 4x for a program that allocates fast, and a long-running
 * pipeline always does: in the soak bench (the stream pipeline over 2.6 M lines in 20 daily passes)
 * the old space reached 52 MB with 13 MB live, and the peak RSS of a run landed anywhere from 112
 * to 144 MB from the same 107 MB start; bounded, five runs ended at 112-118 MB, at the same pass
 * times. A daemon's memory should follow its live data, not the collector's mood.
 */
const HEAP_GROWING_PERCENT = 50;

/**
 * Bounds V8's old-generation growth (HEAP_GROWING_PERCENT) for the rest of the process, every
 * thread included (V8's flags are process-wide). `watch` calls it: it runs for weeks beside other
 * work, mostly at a low rate, where the extra collections cost nothing that shows. The processes
 * sized for throughput keep V8's default: bounded, `serve` did 10-11% fewer events per CPU-second
 * (bench/serve-cpu.ts, alternated: 14,670-15,038 against 16,438-17,094; 2x instead of 1.5x cost
 * the same), and bus workers are the same kind of process. A `scan` ends anyway.
 */
export function boundHeapGrowth(): void {
  // V8 reads the flag at each collection's new limit: setting it again changes nothing
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}

/**
 * The old-generation size (MB) an isolate starts with. Left to V8, serve's detection thread (~9 MB
 * live, some 37 MB/s allocated) had its old-space limit kept a few MB above what it held live
 * (`--trace-gc`: full collections from 9-16 MB down to 8.5 MB), so it ran a full collection every
 * 120-150 ms (75-85 in 10 s at 40,000 events/s), their concurrent marking a fifth of serve's CPU.
 * Started at 64 MB: 16 in 10 s, and 15% more events per CPU-second of the server
 * (bench/serve-cpu.ts, alternated: 29,197-30,534 against 25,873-26,385; 32 MB gave 29,326 and
 * 128 MB 27,624). Why V8 keeps the limit that low for this thread was not pinned down: small
 * programs built to imitate it (batches promoted, idle gaps, large arrays) did not reproduce it.
 */
const WORKER_OLD_SPACE_MB = 64;

/**
 * Gives isolates created from now on (worker threads; V8's flags are process-wide) an old space of
 * WORKER_OLD_SPACE_MB before their first full collection. The process's own isolate was sized
 * when it started, so this changes nothing for it.
 */
export function roomyWorkerOldSpace(): void {
  setFlagsFromString(`--initial-old-space-size=${WORKER_OLD_SPACE_MB}`);
}
