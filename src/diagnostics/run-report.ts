import type { SkipCode } from './codes.js';
import type { Skip } from './skip.js';

/** How many example locations a summary keeps per skip code. */
const LOCATIONS_KEPT = 5;

export interface SkipTally {
  count: number;
  bytes: number;
  /** the first few occurrences, with reason and location */
  first: Skip[];
}

export interface FileTally {
  name: string;
  format: string;
  /** events parsed */
  events: number;
  /** records the prefilter ruled out without parsing: read, counted, never decoded */
  prefiltered: number;
  skipped: number;
}

/**
 * What a run read, dropped and found. Every counter merges by addition, so reports from workers
 * fold into one.
 */
export class RunReport {
  readonly files: FileTally[] = [];
  private readonly fileByName = new Map<string, FileTally>();
  readonly eventsByDataSource = new Map<string, number>();
  readonly skips = new Map<SkipCode, SkipTally>();
  readonly inputErrors: Array<{ path: string; message: string }> = [];
  /**
   * Worker threads that stopped (say, at their memory limit), each with why: recorded by the
   * thread that ran them, which scanned their pieces again (nothing lost, time lost)
   */
  readonly threadFailures: string[] = [];
  /** per piece of a file read alone by a line-based reader: [file, piece start, lines starting in it] */
  readonly pieceLines: Array<[string, number, number]> = [];
  events = 0;
  prefiltered = 0;
  bytesRead = 0;

  /** The tally of input `name`; the pieces of one file (scanned by different threads) share one. */
  addFile(name: string, format: string): FileTally {
    let tally = this.fileByName.get(name);
    if (!tally) {
      tally = { name, format, events: 0, prefiltered: 0, skipped: 0 };
      this.files.push(tally);
      this.fileByName.set(name, tally);
    }
    return tally;
  }

  countEvent(dataSource: string, n = 1): void {
    this.events += n;
    this.eventsByDataSource.set(dataSource, (this.eventsByDataSource.get(dataSource) ?? 0) + n);
  }

  skip(skip: Skip): void {
    const tally = this.skips.get(skip.code) ?? { count: 0, bytes: 0, first: [] };
    tally.count++;
    tally.bytes += skip.bytes ?? 0;
    keepFirst(tally.first, [skip]);
    this.skips.set(skip.code, tally);
  }

  countPieceLines(file: string, start: number, lines: number): void {
    this.pieceLines.push([file, start, lines]);
  }

  /**
   * Turns the line numbers of skips found in pieces of files (counted from the piece's first line)
   * into the files' own, from the line counts of the pieces before: call once every piece is merged.
   */
  resolvePieceLines(): void {
    for (const tally of this.skips.values()) {
      for (const skip of tally.first) {
        const { piece, line } = skip.location;
        if (piece === undefined || line === undefined) continue;
        skip.location = { file: skip.location.file, line: this.fileLine(skip.location.file, piece, line), offset: skip.location.offset };
      }
    }
  }

  /** the line number in `file` of line `line` of its piece starting at byte `piece` (every piece merged) */
  fileLine(file: string, piece: number, line: number): number {
    return line + this.pieceLines.reduce((n, [f, start, lines]) => (f === file && start < piece ? n + lines : n), 0);
  }

  /** every record read: parsed events and records the prefilter ruled out */
  get recordsRead(): number {
    return this.events + this.prefiltered;
  }

  get skippedTotal(): number {
    let total = 0;
    for (const t of this.skips.values()) total += t.count;
    return total;
  }

  merge(other: RunReportData): void {
    for (const f of other.files) {
      const mine = this.addFile(f.name, f.format);
      mine.events += f.events;
      mine.prefiltered += f.prefiltered ?? 0;
      mine.skipped += f.skipped;
    }
    for (const [k, v] of other.eventsByDataSource) this.countEvent(k, v);
    for (const [code, t] of other.skips) {
      const mine = this.skips.get(code) ?? { count: 0, bytes: 0, first: [] };
      mine.count += t.count;
      mine.bytes += t.bytes;
      keepFirst(mine.first, t.first);
      this.skips.set(code, mine);
    }
    this.inputErrors.push(...other.inputErrors);
    this.pieceLines.push(...other.pieceLines);
    this.prefiltered += other.prefiltered;
    this.bytesRead += other.bytesRead;
  }

  toData(): RunReportData {
    return {
      files: this.files,
      eventsByDataSource: [...this.eventsByDataSource],
      skips: [...this.skips],
      inputErrors: this.inputErrors,
      pieceLines: this.pieceLines,
      events: this.events,
      prefiltered: this.prefiltered,
      bytesRead: this.bytesRead,
    };
  }
}

/**
 * Keeps in `kept` the LOCATIONS_KEPT earliest skips (by file, then position) of `kept` and `more`:
 * the same examples whichever thread scanned which file first.
 */
function keepFirst(kept: Skip[], more: Skip[]): void {
  for (const skip of more) {
    const at = kept.findIndex((k) => compareLocations(skip, k) < 0);
    if (at >= 0) kept.splice(at, 0, skip);
    else if (kept.length < LOCATIONS_KEPT) kept.push(skip);
    if (kept.length > LOCATIONS_KEPT) kept.pop();
  }
}

function compareLocations(a: Skip, b: Skip): number {
  const x = a.location;
  const y = b.location;
  if (x.file !== y.file) return x.file < y.file ? -1 : 1;
  return (x.offset ?? x.line ?? 0) - (y.offset ?? y.line ?? 0) || (x.line ?? 0) - (y.line ?? 0);
}

/** Structured-clone/JSON-safe form of a report. */
export interface RunReportData {
  files: FileTally[];
  eventsByDataSource: Array<[string, number]>;
  skips: Array<[SkipCode, SkipTally]>;
  inputErrors: Array<{ path: string; message: string }>;
  pieceLines: Array<[string, number, number]>;
  events: number;
  prefiltered: number;
  bytesRead: number;
}
