import { closeSync, openSync, readSync } from 'node:fs';

/** 1 MiB reads: few system calls, and a block stays in the CPU cache while it is framed. */
const BLOCK_BYTES = 1 << 20;
/** Reading is synchronous; every this many bytes the event loop gets a turn (progress, workers, signals). */
const YIELD_EVERY = 16 * 1024 * 1024;

/** A read that failed at a known input offset. */
export class InputReadError extends Error {
  constructor(override readonly cause: unknown, readonly offset: number) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/**
 * The skip for a failed read: at the InputReadError's own offset, else at `reached` (the bytes
 * a stream delivered before failing). zlib errors carry Z_* codes (Z_BUF_ERROR for a truncated
 * stream, Z_DATA_ERROR for corruption) and are reported as decompress errors.
 */
export function readErrorSkip(err: unknown, file: string, reached: number) {
  const cause = err instanceof InputReadError ? err.cause : err;
  const code = (cause as { code?: unknown } | null)?.code;
  const zlib = typeof code === 'string' && code.startsWith('Z_');
  return {
    location: { file, offset: err instanceof InputReadError ? err.offset : reached },
    code: zlib ? ('decompress-error' as const) : ('io-error' as const),
    reason: err instanceof Error ? err.message : String(err),
  };
}

/**
 * Blocks no read is using. A fresh buffer per read is garbage the moment it is framed, and V8
 * collects such external memory late: tens of MB of dead blocks per thread, and page faults on the
 * first touch of each new one. Reused blocks keep a scan's memory flat however many files it reads.
 */
const freeBlocks: Buffer[] = [];

/** Read into `buf` until it is full or the file ends; returns the bytes read. */
function readAt(fd: number, buf: Buffer, position: number): number {
  let got = 0;
  try {
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, position + got);
      if (n === 0) break;
      got += n;
    }
  } catch (e) {
    throw new InputReadError(e, position + got);
  }
  return got;
}

export interface FileBlock {
  /** input offset of buf[0] */
  offset: number;
  buf: Buffer;
}

export interface BlockOptions {
  /** size of the first block (a file header read on its own), BLOCK_BYTES by default */
  firstBlock?: number;
  /** only the bytes [start, end) of the file */
  range?: ByteRange;
}

/** A piece of a file: bytes [start, end). */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * The bytes of a regular file (or of its `range`), in order: first `firstBlock` bytes, then
 * BLOCK_BYTES at a time. Each block is a view of one reused buffer, valid only until the next
 * block is requested: a consumer copies what it keeps. Failures throw InputReadError with the
 * offset reached.
 */
export async function* fileBlocks(path: string, { firstBlock = BLOCK_BYTES, range }: BlockOptions = {}): AsyncGenerator<FileBlock> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new InputReadError(e, range?.start ?? 0);
  }
  const block = freeBlocks.pop() ?? Buffer.allocUnsafeSlow(BLOCK_BYTES);
  try {
    let offset = range?.start ?? 0;
    const end = range?.end ?? Infinity;
    let want = Math.min(firstBlock, BLOCK_BYTES, end - offset);
    let sinceYield = 0;
    while (want > 0) {
      const got = readAt(fd, block.subarray(0, want), offset);
      if (got > 0) yield { offset, buf: block.subarray(0, got) };
      offset += got;
      if (got < want) return;
      want = Math.min(BLOCK_BYTES, end - offset);
      sinceYield += got;
      if (sinceYield >= YIELD_EVERY) {
        sinceYield = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
  } finally {
    closeSync(fd);
    freeBlocks.push(block);
  }
}

/** fileBlocks as plain byte chunks, the shape of a stream */
export async function* fileChunks(path: string, range?: ByteRange): AsyncGenerator<Buffer> {
  for await (const { buf } of fileBlocks(path, { range })) yield buf;
}
