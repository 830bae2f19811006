/**
 * Streaming EVTX reader. The file is consumed strictly sequentially (header, then 64 KiB slots), so
 * plain files, stdin and decompressed .gz are read the same way from a stream, with no temp file and
 * memory bounded by the chunks in flight. Chunk count comes from the bytes present, never from the
 * header. Large inputs are decoded chunk-parallel in worker threads (piscina), in order.
 */
import { availableParallelism } from 'node:os';
import type { Readable } from 'node:stream';
import type { SourceContext, SourceInput } from '../source.js';
import { frameChunk, type EvtxIssue } from './chunk.js';
import { decodeChunk, type DecodeMode, type DecodedRecord } from './decode.js';
import { CHUNK_SIZE, FILE_HEADER_SIZE, parseFileHeader } from './file-header.js';
import type { ChunkTask, ChunkTaskResult } from './worker.js';

export interface EvtxReadOptions {
  mode: DecodeMode;
  /**
   * Worker threads for chunk decoding: 0 = decode on this thread; undefined = automatic (workers for
   * inputs of at least `parallelMinBytes` when more than one core is available).
   */
  threads?: number;
  parallelMinBytes?: number;
}

/** Below this size the cost of starting workers and cloning results outweighs the parallel gain. */
export const DEFAULT_PARALLEL_MIN_BYTES = 48 * 1024 * 1024;

interface Slot { offset: number; buf: Buffer }

/** Cut a byte stream into the file header block and 64 KiB chunk slots (the last may be short). */
async function* slots(stream: AsyncIterable<Buffer>): AsyncGenerator<Slot> {
  const parts: Buffer[] = [];
  let have = 0;
  let offset = 0;
  let want = FILE_HEADER_SIZE;
  const take = (n: number): Buffer => {
    const out = Buffer.allocUnsafeSlow(n); // own ArrayBuffer, so it can be transferred to a worker
    let filled = 0;
    while (filled < n) {
      const p = parts[0];
      const k = Math.min(p.length, n - filled);
      p.copy(out, filled, 0, k);
      filled += k;
      if (k === p.length) parts.shift();
      else parts[0] = p.subarray(k);
    }
    have -= n;
    return out;
  };
  try {
    for await (const data of stream) {
      parts.push(data);
      have += data.length;
      while (have >= want) {
        yield { offset, buf: take(want) };
        offset += want;
        want = CHUNK_SIZE;
      }
    }
  } catch (e) {
    // a damaged stream (truncated .gz): decode what arrived, then let the caller report the damage
    if (have > 0) yield { offset, buf: take(have) };
    throw new StreamError(e, offset + have);
  }
  if (have > 0) yield { offset, buf: take(have) };
}

class StreamError extends Error {
  constructor(override readonly cause: unknown, readonly offset: number) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/** zlib errors carry Z_* codes (Z_BUF_ERROR for a truncated stream, Z_DATA_ERROR for corruption) */
function isZlibError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}

function issueToSkip(input: SourceInput, ctx: SourceContext, i: EvtxIssue): void {
  ctx.skip({ location: { file: input.name, offset: i.offset }, code: i.code, reason: i.reason, ...(i.bytes !== undefined ? { bytes: i.bytes } : {}) });
}

type Pool = { run(task: ChunkTask, opts: { transferList: ArrayBuffer[] }): Promise<ChunkTaskResult>; destroy(): Promise<void> };

async function startPool(threads: number): Promise<Pool> {
  const { Piscina } = await import('piscina');
  return new Piscina({ filename: new URL('./worker.js', import.meta.url).href, maxThreads: threads, minThreads: threads }) as unknown as Pool;
}

/**
 * Field maps are cheap to decode and costly to ship back (JSON.parse on the main thread), so for
 * `fields` workers pay off only with several cores; measured on 2 cores, one thread was faster.
 * Rendered JSON/XML lines are expensive to produce and cheap to ship, so they go parallel sooner.
 */
function threadCount(input: SourceInput, opts: EvtxReadOptions): number {
  if (opts.threads !== undefined) return Math.max(0, opts.threads);
  const cores = availableParallelism();
  const minCores = opts.mode === 'fields' ? 4 : 2;
  if (cores < minCores || (input.size ?? 0) < (opts.parallelMinBytes ?? DEFAULT_PARALLEL_MIN_BYTES)) return 0;
  return cores - 1; // the main thread keeps reading, framing and prefiltering
}

/**
 * Read every record of an EVTX input, in file order. Problems are reported through `ctx.skip` with
 * the file and absolute offset; nothing is thrown for bad input. Records the prefilter rules out are
 * counted with `ctx.prefiltered` and never decoded.
 */
export async function* readEvtx(input: SourceInput, ctx: SourceContext, opts: EvtxReadOptions): AsyncGenerator<DecodedRecord> {
  const threads = threadCount(input, opts);
  const pool = threads > 0 ? await startPool(threads) : null;
  const inFlight: Promise<ChunkTaskResult>[] = [];
  const report = (issues: EvtxIssue[]) => { for (const i of issues) issueToSkip(input, ctx, i); };
  let stream: Readable | undefined;
  try {
    stream = input.open();
    let sawHeader = false;
    for await (const slot of slots(stream as AsyncIterable<Buffer>)) {
      if (ctx.signal?.aborted) break;
      if (!sawHeader) {
        sawHeader = true;
        const header = parseFileHeader(slot.buf);
        if (slot.buf.length < FILE_HEADER_SIZE) {
          report([{ offset: 0, code: 'evtx-truncated', reason: 'file ends inside the file header', bytes: slot.buf.length }]);
        } else if (!header.valid || header.problem) {
          report([{ offset: 0, code: 'evtx-bad-header', reason: `${header.problem}; reading chunks anyway`, bytes: header.valid ? 0 : FILE_HEADER_SIZE }]);
        }
        continue;
      }
      ctx.progress?.(slot.offset + slot.buf.length);
      const frame = frameChunk(slot.buf, slot.offset);
      report(frame.issues);
      let records = frame.records;
      if (ctx.prefilter && records.length > 0) {
        const kept: number[] = [];
        let dropped = 0;
        for (let i = 0; i < records.length; i += 2) {
          const pos = records[i], size = records[i + 1];
          if (ctx.prefilter.mayMatchUtf16(slot.buf.subarray(pos + 24, pos + size - 4))) kept.push(pos, size);
          else dropped++;
        }
        if (dropped > 0) ctx.prefiltered?.(dropped);
        records = kept;
      }
      if (records.length === 0) continue;
      if (!pool) {
        const res = decodeChunk(slot.buf, slot.offset, records, opts.mode);
        report(res.issues);
        yield* res.records;
        continue;
      }
      const chunk = new Uint8Array(slot.buf.buffer, slot.buf.byteOffset, slot.buf.byteLength);
      inFlight.push(pool.run({ chunk, fileOffset: slot.offset, records, mode: opts.mode }, { transferList: [slot.buf.buffer as ArrayBuffer] }));
      // bounded in-flight chunks keep memory flat whatever the file size
      if (inFlight.length >= threads * 2) {
        const res = await inFlight.shift()!;
        report(res.issues);
        yield* JSON.parse(res.records) as DecodedRecord[];
      }
    }
    while (inFlight.length > 0) {
      const res = await inFlight.shift()!;
      report(res.issues);
      yield* JSON.parse(res.records) as DecodedRecord[];
    }
  } catch (e) {
    const offset = e instanceof StreamError ? e.offset : 0;
    const code = e instanceof StreamError && isZlibError(e.cause) ? 'decompress-error' : 'io-error';
    ctx.skip({ location: { file: input.name, offset }, code, reason: e instanceof Error ? e.message : String(e) });
  } finally {
    stream?.destroy();
    // settle abandoned tasks before tearing the pool down
    await Promise.allSettled(inFlight);
    await pool?.destroy();
  }
}
