import { closeSync, fdatasync, fdatasyncSync, fstatSync, ftruncateSync, mkdirSync, openSync, rm, statSync, writev } from 'node:fs';
import { encodeRecord, readRecord, segmentFile, segmentsIn, validLength, type JournalHeader } from './journal-records.js';

/**
 * The durable ingest journal: what a listener acknowledged is here, fsynced, before the client
 * hears "200". A processor reads it from a position it commits to the store together with the
 * results, so after a crash it resumes exactly where its last commit ended. The bytes on disk are
 * journal-records.ts's; a torn tail (the process died mid-write, before the fsync that would have
 * acknowledged it) fails its length or CRC check on open and is cut off: it was never acknowledged.
 */

/** Where ingest writes what it accepts: the journal (fsynced), or a bus (`serve --nats`: stored by the bus). Resolves once durable. */
export interface RecordAppender {
  append(header: JournalHeader, body: Buffer): Promise<number>;
}

export interface JournalRecord {
  offset: number;
  /** offset of the next record */
  next: number;
  header: JournalHeader;
  body: Buffer;
}

export interface JournalOptions {
  /** a segment is closed and a new one started past this size */
  segmentBytes?: number;
}

/** appended records kept in memory for the reader */
const RECENT_BYTES = 64 * 1024 * 1024;

interface Segment {
  base: number;
  file: string;
  size: number;
}

interface PendingAppend {
  header: JournalHeader;
  body: Buffer;
  buffers: Buffer[];
  bytes: number;
  resolve: (offset: number) => void;
  reject: (error: Error) => void;
}

export class Journal {
  private readonly segmentBytes: number;
  private readonly segments: Segment[] = [];
  private fd: number;
  private pending: PendingAppend[] = [];
  private pendingBytes = 0;
  private flushing = false;
  private readonly waiters = new Set<() => void>();
  private closed = false;
  /** bytes a reader may read: fsynced records end here */
  private durableEnd: number;
  /**
   * Records fsynced by this process and not read yet, as they were appended (by offset, up to
   * RECENT_BYTES): the processor takes them without reading the file back (the file stays the copy a
   * restart reads). A record leaves once read, or when newer ones need the room.
   */
  private readonly recent = new Map<number, JournalRecord>();
  private recentBytes = 0;
  /** where each recent fsync ended and when (ms): how long acknowledged bytes have waited for a reader */
  private readonly synced: Array<{ end: number; at: number }> = [];
  /** why the journal stopped taking appends (a failed write or fsync) */
  private failure: Error | undefined;
  /** a reader (`Journal.reader`): never writes */
  private readOnly = false;
  /** called after every fsync with the records it made durable (serve hands them to its detection thread) */
  onDurable?: (end: number, records: JournalRecord[]) => void;

  private constructor(
    readonly dir: string,
    options: JournalOptions,
    /** records found on open, unread: the reader starts before them */
    readonly truncatedTailBytes: number,
  ) {
    this.segmentBytes = options.segmentBytes ?? 64 * 1024 * 1024;
    this.fd = -1;
    this.durableEnd = 0;
  }

  static open(dir: string, options: JournalOptions = {}): Journal {
    mkdirSync(dir, { recursive: true });
    const segments: Segment[] = segmentsIn(dir).map((s) => ({ ...s, size: 0 }));
    let cut = 0;
    for (const [i, s] of segments.entries()) {
      const fd = openSync(s.file, 'r+');
      try {
        s.size = fstatSync(fd).size;
        if (i === segments.length - 1) {
          const good = validLength(fd, s.size);
          if (good < s.size) {
            cut = s.size - good;
            ftruncateSync(fd, good);
            fdatasyncSync(fd);
            s.size = good;
          }
        }
      } finally {
        closeSync(fd);
      }
    }
    const journal = new Journal(dir, options, cut);
    journal.segments.push(...segments);
    if (journal.segments.length === 0) journal.segments.push({ base: 0, file: segmentFile(dir, 0), size: 0 });
    const last = journal.segments[journal.segments.length - 1];
    journal.fd = openSync(last.file, 'a');
    journal.durableEnd = last.base + last.size;
    return journal;
  }

  /**
   * A reader of a journal another thread appends to (serve's detection thread): it never writes or
   * cuts the tail (the writer did that on open); what is durable, and the records just appended,
   * come from the writer through `advance`. Segments the writer starts are found on the next read.
   */
  static reader(dir: string, durableEnd: number): Journal {
    const journal = new Journal(dir, {}, 0);
    journal.readOnly = true;
    journal.durableEnd = durableEnd;
    journal.listSegments();
    return journal;
  }

  /** (a reader) the writer made records durable up to `end`; `records` are the ones it appended, kept for the next read */
  advance(end: number, records: JournalRecord[]): void {
    for (const r of records) this.remember(r);
    this.durableEnd = Math.max(this.durableEnd, end);
    for (const wake of [...this.waiters]) wake();
  }

  /** (a reader) the segment files as they are now; the last one ends at what is durable */
  private listSegments(): void {
    const found: Segment[] = segmentsIn(this.dir).map((s) => ({ ...s, size: 0 }));
    for (const [i, s] of found.entries()) s.size = i < found.length - 1 ? statSync(s.file).size : Math.max(0, this.durableEnd - s.base);
    this.segments.splice(0, this.segments.length, ...(found.length > 0 ? found : [{ base: 0, file: segmentFile(this.dir, 0), size: 0 }]));
  }

  /** offset just past the last durable record */
  get end(): number {
    return this.durableEnd;
  }

  /** the oldest offset still on disk */
  get start(): number {
    return this.segments[0].base;
  }

  /** bytes accepted but not yet fsynced */
  get queuedBytes(): number {
    return this.pendingBytes;
  }

  /**
   * Appends a record; resolves with its offset once it is on disk (fsynced). Appends that arrive
   * while a write is in flight share the next write and fsync (group commit).
   */
  append(header: JournalHeader, body: Buffer): Promise<number> {
    if (this.closed || this.readOnly) return Promise.reject(new Error(this.readOnly ? 'a journal reader cannot append' : 'journal closed'));
    if (this.failure) return Promise.reject(this.failure);
    const { buffers, bytes } = encodeRecord(header, body);
    return new Promise((resolve, reject) => {
      this.pending.push({ header, body, buffers, bytes, resolve, reject });
      this.pendingBytes += bytes;
      if (!this.flushing) setImmediate(() => this.flush());
      this.flushing = true;
    });
  }

  /**
   * Writes what is pending and fsyncs it. Both run on libuv's thread pool (the write's copy into the
   * page cache was 6% of the HTTP thread at 40,000 events/s), so HTTP requests are read and parsed
   * meanwhile (they wait for the next write); one write is in flight at a time, so the next batch
   * is written only after this one is durable.
   */
  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0 || this.closed || this.failure) return this.flushed(batch, this.failure ?? new Error('journal closed'));
    let at: number;
    let segment: Segment;
    try {
      segment = this.segments[this.segments.length - 1];
      if (segment.size > 0 && segment.size >= this.segmentBytes) segment = this.roll(segment);
      at = segment.base + segment.size;
    } catch (error) {
      return this.flushed(batch, this.fail(error as Error));
    }
    const fd = this.fd;
    writeAll(fd, batch.flatMap((p) => p.buffers), (error) => {
      if (error) return this.flushed(batch, this.fail(error));
      fdatasync(fd, (error) => this.durable(batch, segment, at, error));
    });
  }

  /** `batch`, written at `at` in `segment`, was fsynced (or failed to be) */
  private durable(batch: PendingAppend[], segment: Segment, at: number, error: Error | null): void {
    if (error) return this.flushed(batch, this.fail(error));
    const records: JournalRecord[] = [];
    for (const p of batch) {
      records.push({ offset: at, next: at + p.bytes, header: p.header, body: p.body });
      at += p.bytes;
    }
    segment.size = at - segment.base;
    this.durableEnd = at;
    this.synced.push({ end: at, at: performance.now() });
    if (this.onDurable) this.onDurable(at, records);
    else for (const r of records) this.remember(r);
    this.flushed(batch);
    records.forEach((r, i) => batch[i].resolve(r.offset));
    for (const wake of [...this.waiters]) wake();
  }

  /** `batch` is done (or failed with `error`): the next write, or the fd closed after the last one */
  private flushed(batch: PendingAppend[], error?: Error): void {
    this.pendingBytes -= batch.reduce((n, p) => n + p.bytes, 0);
    if (error) for (const p of batch) p.reject(error);
    if (this.pending.length > 0) return this.flush();
    this.flushing = false;
    if (this.closed) this.closeFile();
  }

  /**
   * A write or fsync failed: what reached the file is unknown (a short write would leave a torn
   * record for later ones to follow), so the journal takes nothing more; a restart cuts the tail.
   */
  private fail(error: Error): Error {
    this.failure = new Error(`the journal failed (restart serve: it cuts a torn tail): ${error.message}`);
    return this.failure;
  }

  private roll(current: Segment): Segment {
    closeSync(this.fd);
    const base = current.base + current.size;
    const next = { base, file: segmentFile(this.dir, base), size: 0 };
    this.segments.push(next);
    this.fd = openSync(next.file, 'a');
    return next;
  }

  /**
   * Durable records from `from` on, about `maxBytes` of them (at least one when there is one).
   * `from` must be a record boundary: 0, or a `next` this journal returned.
   */
  read(from: number, maxBytes: number): JournalRecord[] {
    const out: JournalRecord[] = [];
    if (this.readOnly) {
      // the writer may have started segments since: the last known one must reach what is durable
      const last = this.segments[this.segments.length - 1];
      if (last.base + last.size < this.durableEnd) this.listSegments();
    }
    let at = Math.max(from, this.start);
    let bytes = 0;
    while (at < this.durableEnd && (out.length === 0 || bytes < maxBytes)) {
      const kept = this.take(at);
      if (kept) {
        out.push(kept);
        bytes += kept.next - at;
        at = kept.next;
        continue;
      }
      const segment = this.segmentAt(at);
      if (!segment) break;
      if (at >= segment.base + segment.size) {
        // the end of a closed segment: the next one starts here
        const following = this.segments[this.segments.indexOf(segment) + 1];
        if (!following) break;
        at = following.base;
        continue;
      }
      const fd = openSync(segment.file, 'r');
      try {
        while (at < Math.min(segment.base + segment.size, this.durableEnd) && (out.length === 0 || bytes < maxBytes) && !this.recent.has(at)) {
          const record = readRecord(fd, at - segment.base);
          if (!record) throw new Error(`journal ${segment.file}: damaged record at ${at - segment.base}`);
          out.push({ offset: at, next: at + record.total, header: record.header, body: record.body });
          at += record.total;
          bytes += record.total;
        }
      } finally {
        closeSync(fd);
      }
    }
    return out;
  }

  private remember(record: JournalRecord): void {
    const size = record.next - record.offset;
    if (size > RECENT_BYTES) return;
    // the oldest leave first (a Map keeps insertion order)
    for (const [offset, old] of this.recent) {
      if (this.recentBytes + size <= RECENT_BYTES) break;
      this.recent.delete(offset);
      this.recentBytes -= old.next - old.offset;
    }
    this.recent.set(record.offset, record);
    this.recentBytes += size;
  }

  private take(offset: number): JournalRecord | undefined {
    const record = this.recent.get(offset);
    if (record) {
      this.recent.delete(offset);
      this.recentBytes -= record.next - record.offset;
    }
    return record;
  }

  private segmentAt(offset: number): Segment | undefined {
    for (let i = this.segments.length - 1; i >= 0; i--) if (this.segments[i].base <= offset) return this.segments[i];
    return undefined;
  }

  /**
   * Seconds since the oldest record past `position` (a reader's position) became durable: how long
   * acknowledged events have waited for that reader; 0 when it has read everything.
   */
  waitingSince(position: number): number {
    while (this.synced.length > 0 && this.synced[0].end <= position) this.synced.shift();
    return this.synced.length === 0 || position >= this.durableEnd ? 0 : (performance.now() - this.synced[0].at) / 1000;
  }

  /** resolves when a record becomes durable past `offset` (now, if one already is) or the journal closes */
  waitFor(offset: number, signal?: AbortSignal): Promise<void> {
    if (this.durableEnd > offset || this.closed || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        this.waiters.delete(wake);
        signal?.removeEventListener('abort', wake);
        resolve();
      };
      this.waiters.add(wake);
      signal?.addEventListener('abort', wake);
    });
  }

  /** Deletes whole segments that end at or before `consumed` and lie beyond the `keepBytes` most recent bytes. */
  release(consumed: number, keepBytes: number): void {
    this.waitingSince(consumed);
    while (this.segments.length > 1) {
      const [first, second] = this.segments;
      if (second.base > consumed || this.durableEnd - second.base < keepBytes) break;
      // on the thread pool: unlinking a full segment (its blocks freed) took 3% of the HTTP thread;
      // a file left by a failed unlink is listed at the next start and released again
      rm(first.file, { force: true }, () => undefined);
      this.segments.shift();
    }
  }

  /** Takes no more appends (pending ones are refused); the file closes once a write in flight is durable. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const wake of [...this.waiters]) wake();
    if (!this.flushing) this.closeFile();
  }

  private closeFile(): void {
    if (this.readOnly || this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }
}

/** how many buffers one writev takes (IOV_MAX) */
const IOV_MAX = 1024;

/** Writes every buffer at the end of the file `fd` is open on (appending), on libuv's thread pool, short writes finished. */
function writeAll(fd: number, buffers: Buffer[], done: (error: Error | null) => void): void {
  let next = 0;
  let run: Buffer[] = [];
  const step = (): void => {
    if (run.length === 0) {
      if (next >= buffers.length) return done(null);
      run = buffers.slice(next, next + IOV_MAX);
      next += IOV_MAX;
    }
    writev(fd, run, (error, written) => {
      if (error) return done(error);
      if (written === 0) return done(new Error('the journal file took none of a write'));
      // what a short write left: the buffers after those written whole, the first one cut
      while (run.length > 0 && written >= run[0].length) written -= run.shift()!.length;
      if (written > 0) run[0] = run[0].subarray(written);
      step();
    });
  };
  step();
}
