import type { SkipCode } from './codes.js';

/** Where a record came from: a file plus a 1-based line (text) or a byte offset (binary). */
export interface RecordLocation {
  file: string;
  line?: number;
  offset?: number;
  /**
   * Set while `line` counts from the first line of the piece of the file starting at this offset
   * (a thread read that piece alone); the run report turns it into the file's line number.
   */
  piece?: number;
}

/** A record (or byte range) a source could not turn into an event. Counted and reported, never thrown. */
export interface Skip {
  location: RecordLocation;
  code: SkipCode;
  reason: string;
  /** bytes skipped, when known */
  bytes?: number;
}
