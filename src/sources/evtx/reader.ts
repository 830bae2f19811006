/**
 * EVTX reader. The input is consumed strictly sequentially (header, then 64 KiB slots): a plain file
 * is read in large blocks straight into a reused buffer (no per-slot copy), while stdin and
 * decompressed .gz arrive as a stream cut into slots, with no temp file and memory bounded by the
 * chunks in flight. Chunk count comes from the bytes present, never from the header. Large inputs
 * are decoded chunk-parallel in worker threads (piscina), in order.
 */
import { availableParallelism } from 'node:os';
import { isMainThread } from 'node:worker_threads';
import { fileBlocks, InputReadError, readErrorSkip, type ByteRange } from '../file-blocks.js';
import type { SourceContext, SourceInput } from '../source.js';
import { frameChunk, RECORD_HEADER_SIZE, RECORD_TRAILER_SIZE, type EvtxIssue } from './chunk.js';
import { ChunkDecoder, type ChunkDecodeResult, type DecodeMode, type DecodedRecord, type EventIdTest } from './decode.js';
import { CHUNK_SIZE, FILE_HEADER_SIZE, parseFileHeader } from './file-header.js';
import { EvtxPool } from './pool.js';
import { linesOf, type ChunkTaskResult } from './worker.js';

export interface EvtxReadOptions {
  mode: DecodeMode;
  /**
   * Worker threads for chunk decoding: 0 = decode on this thread; undefined = automatic (workers for
   * inputs of at least `parallelMinBytes` when more than one core is available, and never from
   * inside a worker thread, which is already one of a pool).
   */
  threads?: number;
  parallelMinBytes?: number;
  /** a pool the caller owns and shares across inputs; used instead of `threads` */
  pool?: EvtxPool;
  /** `fields` records decoded on this thread (not in a pool) go through it; those it drops are counted with `ctx.prefiltered` */
  eventIdTest?: EventIdTest;
}

/** Below this size the cost of starting workers and cloning results outweighs the parallel gain. */
export const DEFAULT_PARALLEL_MIN_BYTES = 48 * 1024 * 1024;

interface Slot { offset: number; buf: Buffer }

/**
 * Cut a byte stream into the file header block and 64 KiB chunk slots (the last may be short).
 * `owned`: each slot owns its ArrayBuffer, so it can be transferred to a worker. Otherwise a slot
 * that lies within one piece of the stream is a view of it, valid until the next slot is
 * requested, as a plain file's are: a bus worker's 1 MiB message of EVTX was 16 fresh 64 KiB
 * buffers and copies, memory outside V8's heap that brings its full collections sooner.
 */
async function* streamSlots(stream: AsyncIterable<Buffer>, startOffset: number, owned: boolean): AsyncGenerator<Slot> {
  const parts: Buffer[] = [];
  let have = 0;
  // a stream starting past the header (a chunk sent on a bus) holds chunk slots only
  let offset = startOffset;
  let want = startOffset > 0 ? CHUNK_SIZE : FILE_HEADER_SIZE;
  /** the first `k` bytes of parts[0], taken out of it */
  const front = (k: number): Buffer => {
    const p = parts[0];
    if (k === p.length) parts.shift();
    else parts[0] = p.subarray(k);
    return p.subarray(0, k);
  };
  const take = (n: number): Buffer => {
    have -= n;
    if (!owned && parts[0].length >= n) return front(n);
    const out = Buffer.allocUnsafeSlow(n);
    for (let filled = 0; filled < n; ) filled += front(Math.min(parts[0].length, n - filled)).copy(out, filled);
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
      // the input may reuse the chunk's memory for the next one: keep a copy of what is left of it
      const last = parts.length - 1;
      if (last >= 0 && parts[last].buffer === data.buffer) parts[last] = Buffer.from(parts[last]);
    }
  } catch (e) {
    // a damaged stream (truncated .gz): decode what arrived, then let the caller report the damage
    if (have > 0) yield { offset, buf: take(have) };
    throw new InputReadError(e, offset + have);
  }
  if (have > 0) yield { offset, buf: take(have) };
}

/**
 * Slots of a plain file, or of its slot-aligned `range`: the header block (when the range starts
 * at 0), then 64 KiB views of each 1 MiB block read. A slot is valid until the next is requested
 * (decoding copies what it keeps; the pool path copies the slot).
 */
async function* fileSlots(path: string, range?: ByteRange): AsyncGenerator<Slot> {
  const firstBlock = (range?.start ?? 0) === 0 ? FILE_HEADER_SIZE : undefined;
  for await (const { offset, buf } of fileBlocks(path, { firstBlock, range })) {
    if (offset === 0) yield { offset, buf };
    else for (let p = 0; p < buf.length; p += CHUNK_SIZE) yield { offset: offset + p, buf: buf.subarray(p, Math.min(p + CHUNK_SIZE, buf.length)) };
  }
}

function issueToSkip(input: SourceInput, ctx: SourceContext, i: EvtxIssue): void {
  ctx.skip({ location: { file: input.name, offset: i.offset }, code: i.code, reason: i.reason, ...(i.bytes !== undefined ? { bytes: i.bytes } : {}) });
}

/**
 * Field maps are cheap to decode and costly to ship back (JSON.parse on the main thread), so for
 * `fields` workers pay off only with several cores; measured on 2 cores, one thread was faster.
 * Rendered JSON/XML lines are expensive to produce and cheap to ship, so they go parallel sooner.
 */
function threadCount(input: SourceInput, opts: EvtxReadOptions): number {
  if (opts.threads !== undefined) return Math.max(0, opts.threads);
  if (!isMainThread) return 0;
  const cores = availableParallelism();
  const minCores = opts.mode === 'fields' ? 4 : 2;
  if (cores < minCores || (input.size ?? 0) < (opts.parallelMinBytes ?? DEFAULT_PARALLEL_MIN_BYTES)) return 0;
  return cores - 1; // the main thread keeps reading, framing and prefiltering
}

/**
 * The record ranges and answers of prefiltered, reused from chunk to chunk (a chunk holds at most
 * 64 KiB / 28 bytes of records): typed arrays of that size each live off the heap, a malloc and
 * a free per chunk.
 */
let dataRanges = new Int32Array(0);
let passes = new Uint8Array(0);

/** Record [offset, size] pairs the prefilter lets through; the others are counted, never decoded. */
function prefiltered(buf: Buffer, records: number[], ctx: SourceContext): number[] {
  if (dataRanges.length < records.length) {
    dataRanges = new Int32Array(records.length);
    passes = new Uint8Array(records.length >> 1);
  }
  // each record's data: past its header, before its trailing size copy
  const data = dataRanges.subarray(0, records.length);
  for (let i = 0; i < records.length; i += 2) {
    data[i] = records[i] + RECORD_HEADER_SIZE;
    data[i + 1] = records[i] + records[i + 1] - RECORD_TRAILER_SIZE;
  }
  const passed = passes.subarray(0, records.length >> 1);
  ctx.prefilter!.mayMatchUtf16Each(buf, data, passed);
  const kept: number[] = [];
  for (let r = 0; r < passed.length; r++) if (passed[r] === 1) kept.push(records[2 * r], records[2 * r + 1]);
  const dropped = passed.length - kept.length / 2;
  if (dropped > 0) ctx.prefiltered?.(dropped);
  return kept;
}

/** What a reader yields per chunk, from a local decode or from a worker's answer. */
interface Shape<T> {
  text: boolean;
  local(res: ChunkDecodeResult): T;
  remote(records: string): T;
}

const RECORDS: Shape<DecodedRecord[]> = {
  text: false,
  local: (res) => res.records,
  remote: (records) => JSON.parse(records) as DecodedRecord[],
};

const TEXT: Shape<string> = {
  text: true,
  local: (res) => res.text ?? linesOf(res.records.map((r) => r.out as string)),
  remote: (records) => records,
};

/**
 * Read every record of an EVTX input, in file order, one chunk's records per batch (batches are
 * never empty). Problems are reported through `ctx.skip` with the file and absolute offset; nothing
 * is thrown for bad input. Records the prefilter rules out are counted with `ctx.prefiltered` and
 * never decoded.
 */
export function readEvtxBatches(input: SourceInput, ctx: SourceContext, opts: EvtxReadOptions): AsyncGenerator<DecodedRecord[]> {
  return readChunks(input, ctx, opts, RECORDS);
}

/** Like readEvtxBatches for `json`/`xml`: each chunk's rendered lines as one text, each line ending in `\n`. */
export function readEvtxText(input: SourceInput, ctx: SourceContext, opts: EvtxReadOptions): AsyncGenerator<string> {
  return readChunks(input, ctx, opts, TEXT);
}

async function* readChunks<T>(input: SourceInput, ctx: SourceContext, opts: EvtxReadOptions, shape: Shape<T>): AsyncGenerator<T> {
  const threads = opts.pool ? opts.pool.threads : threadCount(input, opts);
  const ownPool = !opts.pool && threads > 0 ? await EvtxPool.start(threads) : null;
  const pool = opts.pool ?? ownPool;
  const inFlight: Promise<ChunkTaskResult>[] = [];
  let decoder: ChunkDecoder | undefined;
  const report = (issues: EvtxIssue[]) => { for (const i of issues) issueToSkip(input, ctx, i); };
  try {
    const source = input.path !== undefined ? fileSlots(input.path, input.range) : streamSlots(input.open(), input.startsAt?.offset ?? 0, pool !== null);
    // a piece of a file after its first holds chunk slots only
    const start = input.range?.start ?? input.startsAt?.offset ?? 0;
    let sawHeader = start > 0;
    for await (const slot of source) {
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
      ctx.progress?.(slot.offset + slot.buf.length - start);
      const frame = frameChunk(slot.buf, slot.offset);
      if (frame.issues.length > 0) report(frame.issues);
      const records = ctx.prefilter && frame.records.length > 0 ? prefiltered(slot.buf, frame.records, ctx) : frame.records;
      if (records.length === 0) continue;
      if (!pool) {
        decoder ??= new ChunkDecoder(opts.mode, opts.eventIdTest);
        const res = decoder.decode(slot.buf, slot.offset, records);
        if (res.issues.length > 0) report(res.issues);
        if (res.ruledOut > 0) ctx.prefiltered?.(res.ruledOut);
        if (res.records.length === 0) continue;
        yield shape.local(res);
        continue;
      }
      // the ArrayBuffer is transferred: it must hold this slot alone (file slots are views of a block)
      const own = input.path === undefined ? slot.buf : Buffer.allocUnsafeSlow(slot.buf.length);
      if (own !== slot.buf) slot.buf.copy(own);
      const chunk = new Uint8Array(own.buffer, own.byteOffset, own.byteLength);
      inFlight.push(pool.run({ chunk, fileOffset: slot.offset, records, mode: opts.mode, text: shape.text }));
      // bounded in-flight chunks keep memory flat whatever the file size
      if (inFlight.length >= threads * 2) {
        const res = await inFlight.shift()!;
        report(res.issues);
        yield shape.remote(res.records);
      }
    }
    while (inFlight.length > 0) {
      const res = await inFlight.shift()!;
      report(res.issues);
      yield shape.remote(res.records);
    }
  } catch (e) {
    ctx.skip(readErrorSkip(e, input.name, 0));
  } finally {
    // settle abandoned tasks before tearing the pool down
    await Promise.allSettled(inFlight);
    await ownPool?.destroy();
  }
}

/** Every record of an EVTX input, in file order (see readEvtxBatches). */
export async function* readEvtx(input: SourceInput, ctx: SourceContext, opts: EvtxReadOptions): AsyncGenerator<DecodedRecord> {
  for await (const batch of readEvtxBatches(input, ctx, opts)) yield* batch;
}
