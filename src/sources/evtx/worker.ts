/** Worker-thread entry (piscina task): decode the framed records of one chunk. */
import type { EvtxIssue } from './chunk.js';
import { decodeChunk, type DecodeMode } from './decode.js';

export interface ChunkTask {
  chunk: Uint8Array;
  fileOffset: number;
  records: number[];
  mode: DecodeMode;
}

/**
 * Records travel back as one JSON string: structured-cloning thousands of small objects costs the
 * main thread more than JSON.parse of the same data.
 */
export interface ChunkTaskResult { records: string; issues: EvtxIssue[] }

export default function decodeChunkTask(task: ChunkTask): ChunkTaskResult {
  const buf = Buffer.from(task.chunk.buffer, task.chunk.byteOffset, task.chunk.byteLength);
  const res = decodeChunk(buf, task.fileOffset, task.records, task.mode);
  return { records: JSON.stringify(res.records), issues: res.issues };
}
