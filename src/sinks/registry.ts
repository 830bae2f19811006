import { csvSink } from './csv.js';
import { htmlSink } from './html.js';
import { jsonSink } from './json.js';
import { jsonlSink } from './jsonl.js';
import type { FindingSink } from './sink.js';
import { tableSink } from './table.js';

export const sinks = {
  table: tableSink,
  jsonl: jsonlSink,
  csv: csvSink,
  json: jsonSink,
  html: htmlSink,
} as const satisfies Record<string, FindingSink>;

export type SinkName = keyof typeof sinks;
export const sinkNames = Object.keys(sinks) as SinkName[];
