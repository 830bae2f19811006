/** Worker-thread entry (piscina task): decode the framed records of one chunk. */
import type { EvtxIssue } from './chunk.js';
import { ChunkDecoder, type DecodeMode } from './decode.js';

export interface ChunkTask {
  chunk: Uint8Array;
  fileOffset: number;
  records: number[];
  mode: DecodeMode;
  /** json/xml only: return the rendered lines as one text, each line ending in `\n` */
  text?: boolean;
}

/**
 * Records travel back as one JSON string: structured-cloning thousands of small objects costs the
 * main thread more than JSON.parse of the same data. Rendered lines asked for as text need no
 * parsing at all: the main thread writes them as they come.
 */
export interface ChunkTaskResult { records: string; issues: EvtxIssue[] }

/**
 * This worker's decoders, one per mode: a worker runs one task at a time, and its decoders keep
 * their compiled JSON lines from chunk to chunk.
 */
const decoders = new Map<DecodeMode, ChunkDecoder>();

function decoderFor(mode: DecodeMode): ChunkDecoder {
  let d = decoders.get(mode);
  if (!d) decoders.set(mode, (d = new ChunkDecoder(mode)));
  return d;
}

export default function decodeChunkTask(task: ChunkTask): ChunkTaskResult {
  const buf = Buffer.from(task.chunk.buffer, task.chunk.byteOffset, task.chunk.byteLength);
  const res = decoderFor(task.mode).decode(buf, task.fileOffset, task.records);
  const records = task.text ? res.text ?? linesOf(res.records.map((r) => r.out as string)) : JSON.stringify(res.records);
  return { records, issues: res.issues };
}

/** lines joined, each ending in a newline */
export function linesOf(lines: string[]): string {
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
