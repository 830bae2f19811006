import { createHash } from 'node:crypto';
import { readHead } from '../sources/inputs.js';
import { looksLikeJsonDocument } from '../sources/jsonl.js';
import { pickSource, type SourceName } from '../sources/registry.js';
import type { FilePosition, SourceInput } from '../sources/source.js';
import { CHUNK_SIZE, FILE_HEADER_SIZE } from '../sources/evtx/file-header.js';
import { CHUNK_TARGET_BYTES, type ChunkMessage } from './bus.js';


const NL = 0x0a;
const EVENT_CLOSE = Buffer.from('</Event>');

/** Where a chunk may end: the byte after a complete record, at or before `limit` (or the first after it), or -1. */
type Cutter = (buf: Buffer, limit: number) => number;

const afterLine: Cutter = (buf, limit) => {
  const before = buf.lastIndexOf(NL, Math.min(limit, buf.length) - 1);
  if (before >= 0) return before + 1;
  const after = buf.indexOf(NL, limit);
  return after < 0 ? -1 : after + 1;
};

const afterXmlEvent: Cutter = (buf, limit) => {
  const before = buf.lastIndexOf(EVENT_CLOSE, Math.min(limit, buf.length) - EVENT_CLOSE.length);
  const at = before >= 0 ? before : buf.indexOf(EVENT_CLOSE, limit);
  return at < 0 ? -1 : at + EVENT_CLOSE.length;
};

/**
 * An input cut into record-aligned chunks for the bus: JSON lines and syslog after a line, Windows
 * XML after an `</Event>`, EVTX at its self-contained 64 KiB chunk slots (the first message also
 * holds the file header), and a JSON document whole. Each chunk carries its input's name, format
 * and starting line and offset, and an id derived from those and its bytes, so that publishing the
 * same file again yields the same ids. Reads the input once, holding about one chunk.
 */
export async function* chunksOf(input: SourceInput, forced?: SourceName, targetBytes = CHUNK_TARGET_BYTES): AsyncGenerator<ChunkMessage> {
  const source = await pickSource(input, forced).catch(() => undefined);
  const format = source?.name;
  const cut = await cutterFor(input, format, targetBytes);
  let pending = Buffer.alloc(0);
  const at: FilePosition = { line: 1, offset: 0 };
  let first = true;
  const emit = (bytes: Buffer): ChunkMessage => {
    const message = { id: chunkId(input.name, at.offset, bytes), source: input.name, ...(format && { format }), startsAt: { ...at }, body: bytes };
    at.offset += bytes.length;
    at.line += countNewlines(bytes);
    first = false;
    return message;
  };
  for await (const block of input.open()) {
    pending = pending.length === 0 ? Buffer.from(block) : Buffer.concat([pending, block]);
    for (;;) {
      const limit = first && format === 'evtx' ? FILE_HEADER_SIZE + targetBytes : targetBytes;
      if (!cut || pending.length < limit) break;
      const end = cut(pending, limit);
      if (end < 0) break;
      yield emit(pending.subarray(0, end));
      pending = pending.subarray(end);
    }
  }
  if (pending.length > 0) yield emit(pending);
}

async function cutterFor(input: SourceInput, format: string | undefined, targetBytes: number): Promise<Cutter | undefined> {
  switch (format) {
    case 'evtx': {
      const span = Math.max(1, Math.floor(targetBytes / CHUNK_SIZE)) * CHUNK_SIZE;
      return (buf, limit) => (buf.length >= limit ? limit - targetBytes + span : -1);
    }
    case 'windows-xml':
      return afterXmlEvent;
    case 'syslog':
      return afterLine;
    case 'jsonl':
      return looksLikeJsonDocument(await readHead(input)) ? undefined : afterLine;
    default:
      // an unknown format is sent whole: the worker reports it as the scan would
      return undefined;
  }
}

function countNewlines(bytes: Buffer): number {
  let n = 0;
  for (let i = bytes.indexOf(NL); i >= 0; i = bytes.indexOf(NL, i + 1)) n++;
  return n;
}

/** A chunk's message id: its input, place and bytes (so a rerun over the same files publishes the same ids). */
export function chunkId(source: string, offset: number, bytes: Uint8Array): string {
  return createHash('sha256').update(source).update('\0').update(String(offset)).update('\0').update(bytes).digest('hex').slice(0, 40);
}
