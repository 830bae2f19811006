import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import { watch, type FSWatcher } from 'chokidar';
import type { SourceInput } from './source.js';

/**
 * Following files as `tail -F` does, for `watch`: every file given, and every file that appears in
 * a directory given, is read to its end and then followed as it grows. Rotation by rename (a new
 * file takes the name), by truncation (copytruncate), and compressed rotations (`app.log.1.gz`) are
 * recognised by a fingerprint of the file's first line, as log shippers do (Filebeat, Vector): a
 * file already read, under any name or compressed, is never read twice. chokidar reports the file
 * system events; nothing here polls.
 */

/** How far a file has been read: what a checkpoint keeps to resume after a restart. */
export interface FollowPosition {
  /** sha-256 of the first line (at most FINGERPRINT_BYTES): the file's identity across renames */
  fingerprint: string;
  /** bytes consumed (of the decompressed content for .gz), always at a line end */
  offset: number;
  /** the name it was last read under */
  path: string;
  /** a compressed rotation, read whole: never read again */
  done?: boolean;
}

/** New complete lines of one file, to be read by the sources. */
export interface FollowedChunk {
  input: SourceInput;
  /** the file's position once this chunk has been processed */
  position: FollowPosition;
}

export interface FollowOptions {
  /** positions from a previous run (the checkpoint) */
  positions?: FollowPosition[];
  /** a line longer than this without its end is handed on anyway (the source then skips it as too long) */
  maxRecordBytes: number;
  /** stat polling instead of file system events (network file systems) */
  poll?: boolean;
  /** every chunk, in order; the follower waits for it before reading on */
  onChunk(chunk: FollowedChunk): Promise<void>;
  /** called after a burst of chunks, when nothing more is waiting: the moment to commit */
  onIdle(): Promise<void>;
  onError(file: string, error: Error): void;
}

const FINGERPRINT_BYTES = 4096;
const READ_BYTES = 1 << 20;
/** how soon a file without a complete first line is looked at again (see recheckLater) */
const RECHECK_MS = 250;
/**
 * How often every tracked file is looked at whether or not the watcher said it changed. chokidar
 * drops a file's change event that comes within 5 ms of the one before (its `_throttle`), so a
 * line appended right after another can go unannounced: without a look of our own, the last lines
 * of a burst would wait for the file's next write, forever if none comes. One `stat` per file.
 */
const SWEEP_MS = 500;
/** files looked at per sweep, in turn: a directory of 50,000 logs costs 512 stats a tick, not 100,000 a second */
const SWEEP_FILES = 512;
/** positions of files gone (rotated away, deleted) kept to recognise them under a new name */
const MAX_POSITIONS = 4096;

interface Tracked {
  path: string;
  handle: FileHandle;
  dev: number;
  ino: number;
  fingerprint?: string;
  offset: number;
  /** the file's size when it was last drained: a sweep that finds another reads it again */
  drainedSize?: number;
}

export class FileFollower {
  private readonly positions = new Map<string, FollowPosition>();
  private readonly tracked = new Map<string, Tracked>();
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly rechecks = new Set<string>();
  private watcher?: FSWatcher;
  private sweeper?: NodeJS.Timeout;
  private sweeping = false;
  /** where the next sweep starts in the tracked files */
  private sweepCursor = 0;
  private pumping?: Promise<void>;
  private closed = false;

  constructor(
    private readonly paths: string[],
    private readonly options: FollowOptions,
  ) {
    for (const p of options.positions ?? []) this.positions.set(p.fingerprint, p);
  }

  /** Resolves once the initial files are found (and queued for reading). */
  async start(): Promise<void> {
    const watcher = watch(this.paths, {
      ignoreInitial: false,
      usePolling: this.options.poll === true,
      // hidden files (editor swap files, our own state) are not logs
      ignored: (file) => path.basename(file).startsWith('.') && !this.paths.includes(file),
    });
    this.watcher = watcher;
    watcher.on('add', (file) => this.enqueue(file));
    watcher.on('change', (file) => this.enqueue(file));
    watcher.on('unlink', (file) => this.enqueue(file));
    watcher.on('error', (error) => this.options.onError(this.paths.join(' '), error as Error));
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
    this.sweeper = setInterval(() => void this.sweep(), SWEEP_MS).unref();
  }

  /** Queues every tracked file whose size or identity is not what it was when last drained (see SWEEP_MS). */
  private async sweep(): Promise<void> {
    if (this.sweeping || this.closed) return;
    this.sweeping = true;
    try {
      const turn = sweepTurn([...this.tracked.values()], this.sweepCursor, SWEEP_FILES);
      this.sweepCursor = turn.next;
      for (const t of turn.items) {
        if (this.queued.has(t.path)) continue;
        const current = await stat(t.path).catch(() => undefined);
        if (!current || current.ino !== t.ino || current.dev !== t.dev || current.size !== t.drainedSize) this.enqueue(t.path);
      }
    } finally {
      this.sweeping = false;
    }
  }

  /** what has been read of every file seen, for a checkpoint */
  currentPositions(): FollowPosition[] {
    return [...this.positions.values()];
  }

  /** Stops watching, finishes the chunk in hand, and closes every file. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    await this.watcher?.close();
    await this.pumping;
    for (const t of this.tracked.values()) await t.handle.close().catch(() => undefined);
    this.tracked.clear();
  }

  /** waits until every queued file has been read (tests, benchmarks) */
  async settled(): Promise<void> {
    while (this.pumping) await this.pumping;
  }

  private enqueue(file: string): void {
    if (this.closed) return;
    if (!this.queued.has(file)) {
      this.queued.add(file);
      this.queue.push(file);
    }
    this.pumping ??= this.pump().finally(() => {
      this.pumping = undefined;
      // an event that came while the last idle callback ran
      if (this.queue.length > 0 && !this.closed) this.enqueue(this.queue[0]);
    });
  }

  private async pump(): Promise<void> {
    while (this.queue.length > 0 && !this.closed) {
      while (this.queue.length > 0 && !this.closed) {
        const file = this.queue.shift() as string;
        this.queued.delete(file);
        try {
          await this.visit(file);
        } catch (error) {
          this.options.onError(file, error as Error);
        }
      }
      await this.options.onIdle();
    }
  }

  /** Whatever happened to `file` (created, grown, truncated, replaced, removed): read what is new. */
  private async visit(file: string): Promise<void> {
    const current = await stat(file).catch(() => undefined);
    const known = this.tracked.get(file);
    if (known && (!current || current.ino !== known.ino || current.dev !== known.dev)) {
      // renamed away or deleted: what was written before is still readable through the open handle
      await this.drain(known);
      await known.handle.close().catch(() => undefined);
      this.tracked.delete(file);
    }
    if (!current || !current.isFile()) return;
    if (isCompressed(file)) return this.readCompressedOnce(file);
    let t = this.tracked.get(file);
    if (!t) {
      const handle = await open(file, 'r');
      const s = await handle.stat();
      t = { path: file, handle, dev: s.dev, ino: s.ino, offset: 0 };
      this.tracked.set(file, t);
    }
    await this.drain(t);
  }

  /** reads complete lines from the tracked offset to the end of the file */
  private async drain(t: Tracked): Promise<void> {
    const { size } = await t.handle.stat();
    t.drainedSize = size;
    if (size < t.offset) {
      // truncated in place (copytruncate): the file starts again
      t.offset = 0;
      t.fingerprint = undefined;
    }
    if (!t.fingerprint && !(await this.identify(t))) {
      this.recheckLater(t.path);
      return;
    }
    while (t.offset < size && !this.closed) {
      const length = Math.min(READ_BYTES, size - t.offset);
      const buffer = Buffer.allocUnsafe(length);
      const { bytesRead } = await t.handle.read(buffer, 0, length, t.offset);
      const bytes = buffer.subarray(0, bytesRead);
      let end = bytes.lastIndexOf(0x0a) + 1;
      if (end === 0) {
        // no line end yet: wait for it, unless the line is already too long to keep
        if (size - t.offset < this.options.maxRecordBytes) return;
        end = bytes.length;
      }
      const chunk = bytes.subarray(0, end);
      const position = { fingerprint: t.fingerprint as string, offset: t.offset + end, path: t.path };
      await this.options.onChunk({ input: chunkInput(t.path, chunk), position });
      t.offset += end;
      this.remember(position);
      if (bytesRead < length) return;
    }
  }

  /**
   * Names the file by its first line; once named, a file read before (renamed, or given again
   * after a restart) resumes where it was. False while the first line is incomplete.
   */
  private async identify(t: Tracked): Promise<boolean> {
    const head = Buffer.alloc(FINGERPRINT_BYTES);
    const { bytesRead } = await t.handle.read(head, 0, FINGERPRINT_BYTES, 0);
    const fingerprint = fingerprintOf(head.subarray(0, bytesRead));
    if (!fingerprint) return false;
    t.fingerprint = fingerprint;
    const seen = this.positions.get(fingerprint);
    const { size } = await t.handle.stat();
    t.offset = seen && seen.offset <= size ? seen.offset : 0;
    this.remember({ fingerprint, offset: t.offset, path: t.path });
    return true;
  }

  /**
   * A file without a complete first line (just truncated, or being written) is looked at again soon
   * even if the watcher reports nothing more: after a copytruncate the rewrite can come so soon
   * after the truncation that no second change event is delivered, and the file would wait for
   * its next write.
   */
  private recheckLater(file: string): void {
    if (this.closed || this.rechecks.has(file)) return;
    this.rechecks.add(file);
    setTimeout(() => {
      this.rechecks.delete(file);
      this.enqueue(file);
    }, RECHECK_MS).unref();
  }

  /** A compressed rotation: the part of it not read before (usually nothing), then never again. */
  private async readCompressedOnce(file: string): Promise<void> {
    const headBytes = await firstDecompressedBytes(file);
    const fingerprint = fingerprintOf(headBytes);
    if (!fingerprint) return;
    const seen = this.positions.get(fingerprint);
    if (seen?.done) return;
    const skip = seen?.offset ?? 0;
    let total = 0;
    const input: SourceInput = {
      name: file,
      async *open() {
        for await (const chunk of createReadStream(file).pipe(createGunzip())) {
          const buffer = chunk as Buffer;
          const from = Math.max(0, Math.min(buffer.length, skip - total));
          total += buffer.length;
          if (from < buffer.length) yield buffer.subarray(from);
        }
      },
    };
    const position = { fingerprint, offset: 0, path: file, done: true };
    await this.options.onChunk({ input, position });
    position.offset = total;
    this.remember(position);
  }

  private remember(position: FollowPosition): void {
    this.positions.delete(position.fingerprint);
    this.positions.set(position.fingerprint, position);
    if (this.positions.size > MAX_POSITIONS) this.positions.delete(this.positions.keys().next().value as string);
  }
}

/** `max` of `items` from `cursor` on, wrapping around, and where the next turn starts: every item comes up once in ceil(n / max) turns */
export function sweepTurn<T>(items: readonly T[], cursor: number, max: number): { items: T[]; next: number } {
  if (items.length <= max) return { items: [...items], next: 0 };
  const from = cursor % items.length;
  const picked = items.slice(from, from + max);
  if (picked.length < max) picked.push(...items.slice(0, max - picked.length));
  return { items: picked, next: (from + max) % items.length };
}

function isCompressed(file: string): boolean {
  return file.endsWith('.gz');
}

/** the first line (or the first FINGERPRINT_BYTES) hashed; undefined while it is incomplete */
function fingerprintOf(head: Buffer): string | undefined {
  const newline = head.indexOf(0x0a);
  if (newline < 0 && head.length < FINGERPRINT_BYTES) return undefined;
  const line = newline < 0 ? head : head.subarray(0, newline);
  return createHash('sha256').update(line).digest('hex').slice(0, 32);
}

async function firstDecompressedBytes(file: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  let length = 0;
  const stream = createReadStream(file).pipe(createGunzip());
  try {
    for await (const chunk of stream) {
      parts.push(chunk as Buffer);
      length += (chunk as Buffer).length;
      if (length >= FINGERPRINT_BYTES) break;
    }
  } catch {
    // a damaged or still-growing archive: named by what could be read
  } finally {
    stream.destroy();
  }
  return Buffer.concat(parts).subarray(0, FINGERPRINT_BYTES);
}

function chunkInput(name: string, bytes: Buffer): SourceInput {
  return {
    name,
    size: bytes.length,
    async *open() {
      yield bytes;
    },
  };
}
