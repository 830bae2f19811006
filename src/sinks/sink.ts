import type { FindingRecord } from '../engine/render.js';

export interface SinkContext {
  /** true when writing to a terminal: sinks may use width and colour */
  isTTY: boolean;
  columns?: number;
}

/** Writes a complete, ordered set of findings to a text stream. */
export interface FindingSink {
  readonly description: string;
  write(records: FindingRecord[], out: NodeJS.WritableStream, ctx: SinkContext): void;
}
