import { closeSync, createReadStream, openSync, readdirSync, readSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable, pipeline } from 'node:stream';
import { fileChunks, type ByteRange } from './file-blocks.js';
import { gunzipMembers } from './gunzip.js';
import type { SourceInput } from './source.js';

/** A path given on the command line that could not be read; the CLI reports it and exits 2 at the end. */
export interface InputError {
  path: string;
  message: string;
}

export function isInputError(x: SourceInput | InputError): x is InputError {
  return 'message' in x && !('open' in x);
}

/** large reads: with the 64 KiB default, stream overhead dominates a fast scan */
const READ_CHUNK = 1 << 20;
const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === GZIP_MAGIC_0 && head[1] === GZIP_MAGIC_1;
}

/** UTF-16 text by its byte order mark (PowerShell's `>` writes UTF-16LE with one). */
function utf16Encoding(head: Uint8Array): 'utf-16le' | 'utf-16be' | undefined {
  if (head.length < 2) return undefined;
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  return undefined;
}

/**
 * UTF-16 text re-encoded as UTF-8 (the BOM dropped), so every text source reads it; offsets then
 * count UTF-8 bytes. Such an input has no size: it is read whole on the main thread, never split.
 */
async function* utf16ToUtf8(raw: AsyncIterable<Buffer> | Iterable<Buffer>, encoding: 'utf-16le' | 'utf-16be'): AsyncGenerator<Buffer> {
  const decoder = new TextDecoder(encoding);
  for await (const chunk of raw) {
    const text = decoder.decode(chunk, { stream: true });
    if (text.length > 0) yield Buffer.from(text, 'utf8');
  }
  const rest = decoder.decode();
  if (rest.length > 0) yield Buffer.from(rest, 'utf8');
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/*
 * Listing, stat and the few head bytes of regular files are read synchronously: each such call
 * takes microseconds, while an async one waits a thread-pool round trip, and over a directory of
 * a hundred small EVTX files those waits were a tenth of the whole scan (measured). Named FIFOs and
 * stdin, which may block, are streams read once.
 */

/**
 * Turns command-line paths into inputs: files as given, directories recursively in sorted order
 * (hidden entries such as .git skipped), `-` as stdin. Bad paths become InputErrors, in order,
 * so the caller can report them and still scan the rest.
 */
export async function* expandInputs(paths: string[]): AsyncIterable<SourceInput | InputError> {
  let stdinUsed = false;
  for (const p of paths) {
    if (p === '-') {
      if (stdinUsed) {
        yield { path: p, message: 'stdin given more than once' };
        continue;
      }
      stdinUsed = true;
      yield new StdinInput(process.stdin);
      continue;
    }
    yield* expandPath(p, new Set<string>(), true);
  }
}

/**
 * `named`: the path was given on the command line. A FIFO named there is read once, as a stream
 * (like stdin); one met inside a directory is skipped and reported, since reading it would wait
 * for a writer that may never come.
 */
async function* expandPath(p: string, visitedDirs: Set<string>, named: boolean): AsyncIterable<SourceInput | InputError> {
  let st;
  try {
    st = statSync(p);
  } catch (err) {
    yield { path: p, message: errorMessage(err) };
    return;
  }
  if (st.isDirectory()) {
    yield* expandDirectory(p, visitedDirs);
  } else if (st.isFile()) {
    yield fileInput(p, st.size);
  } else if (st.isFIFO()) {
    yield named ? new StdinInput(createReadStream(p, { highWaterMark: READ_CHUNK }), p) : { path: p, message: 'a FIFO inside a directory is not read (name it to read it as a stream)' };
  } else {
    yield { path: p, message: 'not a regular file or directory' };
  }
}

async function* expandDirectory(dir: string, visitedDirs: Set<string>): AsyncIterable<SourceInput | InputError> {
  let names: string[];
  try {
    // a symlink loop would otherwise recurse forever
    const real = realpathSync(dir);
    if (visitedDirs.has(real)) return;
    visitedDirs.add(real);
    names = readdirSync(dir);
  } catch (err) {
    yield { path: dir, message: errorMessage(err) };
    return;
  }
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const name of names) {
    if (name.startsWith('.')) continue;
    yield* expandPath(path.join(dir, name), visitedDirs, false);
  }
}

function fileInput(p: string, size: number): SourceInput | InputError {
  let magic: Buffer;
  try {
    magic = readFileHeadSync(p, 2);
  } catch (err) {
    return { path: p, message: errorMessage(err) };
  }
  const utf16 = utf16Encoding(magic);
  if (utf16) return { name: p, open: () => Readable.from(utf16ToUtf8(fileChunks(p), utf16), { objectMode: false }) };
  return fileInputOf(p, size, isGzip(magic));
}

/**
 * The input for a file whose compression is known (no I/O): a worker thread rebuilds its share of
 * a scan's inputs with it. `range` reads only that piece of a plain file.
 */
export function fileInputOf(p: string, size: number | undefined, gzip: boolean, range?: ByteRange): SourceInput {
  if (gzip) return { name: p, size, open: () => gunzipped(createReadStream(p, { highWaterMark: READ_CHUNK })) };
  return { name: p, path: p, size, range, open: () => fileChunks(p, range) };
}

/** Every member, as `gzip -dc` reads it (gunzip.ts); errors of either stream reach the consumer. */
function gunzipped(raw: Readable): Readable {
  return Readable.from(gunzipMembers(raw), { objectMode: false });
}

/**
 * stdin (or a named FIFO) cannot be reopened, so the bytes read while sniffing are kept and
 * replayed by open(). Only the sniffed head is kept in memory; the rest streams through.
 */
export class StdinInput implements SourceInput {
  private readonly recorded: Buffer[] = [];
  private recordedBytes = 0;
  private iterator: AsyncIterator<Buffer> | undefined;
  private ended = false;

  constructor(private readonly stream: Readable, readonly name = '-') {}

  open(): Readable {
    const self = this;
    async function* replay(): AsyncGenerator<Buffer> {
      for (let i = 0; i < self.recorded.length; i++) yield self.recorded[i];
      for (;;) {
        const chunk = await self.next();
        if (chunk === undefined) return;
        yield chunk;
      }
    }
    const raw = Readable.from(replay(), { objectMode: false });
    const first = this.recorded[0];
    if (first && isGzip(first)) return gunzipped(raw);
    const utf16 = first && utf16Encoding(first);
    if (utf16) return Readable.from(utf16ToUtf8(raw, utf16), { objectMode: false });
    if (this.recorded.length === 0) return this.sniffThenMaybeGunzip(raw);
    return raw;
  }

  /** Raw (still compressed) first bytes, read once and kept for replay. */
  async peek(n: number): Promise<Buffer> {
    while (this.recordedBytes < n && !this.ended) {
      const chunk = await this.next();
      if (chunk === undefined) break;
      this.recorded.push(chunk);
      this.recordedBytes += chunk.length;
    }
    return Buffer.concat(this.recorded);
  }

  private async next(): Promise<Buffer | undefined> {
    if (this.ended) return undefined;
    this.iterator ??= this.stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const r = await this.iterator.next();
    if (r.done) {
      this.ended = true;
      return undefined;
    }
    return Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value as string);
  }

  /** open() without a prior peek: decide on gzip from the first chunk as it arrives. */
  private sniffThenMaybeGunzip(raw: Readable): Readable {
    const out = new PassThrough();
    const it = raw[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    void (async () => {
      try {
        const first = await it.next();
        if (first.done) {
          out.end();
          return;
        }
        const rest = Readable.from(
          (async function* () {
            yield first.value;
            for (;;) {
              const r = await it.next();
              if (r.done) return;
              yield r.value;
            }
          })(),
          { objectMode: false },
        );
        const src = isGzip(first.value) ? gunzipped(rest) : rest;
        pipeline(src, out, () => undefined);
      } catch (err) {
        out.destroy(err as Error);
      }
    })();
    return out;
  }
}

/**
 * First `n` decompressed bytes, for sniffing. Never rejects: an unreadable input yields what could
 * be read (possibly nothing), and the source's read() then reports the I/O error with a location.
 */
export async function readHead(input: SourceInput, n = 4096): Promise<Buffer> {
  try {
    if (input instanceof StdinInput) {
      const raw = await input.peek(n);
      if (isGzip(raw)) return await readStreamHead(gunzipMembers([raw]), n);
      const utf16 = utf16Encoding(raw);
      if (utf16) return await readStreamHead(utf16ToUtf8([raw], utf16), n);
      return raw.subarray(0, n);
    }
    if (input.path !== undefined) return readFileHeadSync(input.path, n);
    return await readStreamHead(input.open(), n);
  } catch {
    return Buffer.alloc(0);
  }
}

function readFileHeadSync(p: string, n: number): Buffer {
  const fd = openSync(p, 'r');
  try {
    const buf = Buffer.alloc(n);
    return buf.subarray(0, readSync(fd, buf, 0, n, 0));
  } finally {
    closeSync(fd);
  }
}

/** Leaving the loop early closes the input (a stream is destroyed, a file closed). */
async function readStreamHead(chunks: AsyncIterable<Buffer>, n: number): Promise<Buffer> {
  const head: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of chunks) {
      // a copy (the producer may reuse its buffer) of only what the head needs: a bus chunk is 256 KiB
      const needed = chunk.subarray(0, n - total);
      head.push(Buffer.from(needed));
      total += needed.length;
      if (total >= n) break;
    }
  } catch {
    // a corrupt tail still leaves a usable head
  }
  return Buffer.concat(head, total);
}
