import type { SkipCode } from './codes.js';
import type { Skip } from '../sources/source.js';

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
  events: number;
  skipped: number;
}

/**
 * What a run read, dropped and found. Every counter merges by addition, so reports from workers
 * fold into one.
 */
export class RunReport {
  readonly files: FileTally[] = [];
  readonly eventsByDataSource = new Map<string, number>();
  readonly skips = new Map<SkipCode, SkipTally>();
  readonly inputErrors: Array<{ path: string; message: string }> = [];
  events = 0;
  prefiltered = 0;
  bytesRead = 0;

  addFile(name: string, format: string): FileTally {
    const tally = { name, format, events: 0, skipped: 0 };
    this.files.push(tally);
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
    if (tally.first.length < LOCATIONS_KEPT) tally.first.push(skip);
    this.skips.set(skip.code, tally);
  }

  get skippedTotal(): number {
    let total = 0;
    for (const t of this.skips.values()) total += t.count;
    return total;
  }

  merge(other: RunReportData): void {
    this.files.push(...other.files);
    for (const [k, v] of other.eventsByDataSource) this.countEvent(k, v);
    for (const [code, t] of other.skips) {
      const mine = this.skips.get(code) ?? { count: 0, bytes: 0, first: [] };
      mine.count += t.count;
      mine.bytes += t.bytes;
      mine.first.push(...t.first.slice(0, LOCATIONS_KEPT - mine.first.length));
      this.skips.set(code, mine);
    }
    this.inputErrors.push(...other.inputErrors);
    this.prefiltered += other.prefiltered;
    this.bytesRead += other.bytesRead;
  }

  toData(): RunReportData {
    return {
      files: this.files,
      eventsByDataSource: [...this.eventsByDataSource],
      skips: [...this.skips],
      inputErrors: this.inputErrors,
      events: this.events,
      prefiltered: this.prefiltered,
      bytesRead: this.bytesRead,
    };
  }
}

/** Structured-clone/JSON-safe form of a report. */
export interface RunReportData {
  files: FileTally[];
  eventsByDataSource: Array<[string, number]>;
  skips: Array<[SkipCode, SkipTally]>;
  inputErrors: Array<{ path: string; message: string }>;
  events: number;
  prefiltered: number;
  bytesRead: number;
}
