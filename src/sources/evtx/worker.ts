/** Worker-thread entry (piscina task): decode the framed records of one chunk. */
import { decodeChunk, type ChunkDecodeResult, type DecodeMode } from './decode.js';

export interface ChunkTask {
  chunk: Uint8Array;
  fileOffset: number;
  records: number[];
  mode: DecodeMode;
}

export default function decodeChunkTask(task: ChunkTask): ChunkDecodeResult {
  const buf = Buffer.from(task.chunk.buffer, task.chunk.byteOffset, task.chunk.byteLength);
  return decodeChunk(buf, task.fileOffset, task.records, task.mode);
}
