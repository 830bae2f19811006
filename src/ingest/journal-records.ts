/**
 * The journal's bytes on disk: segment files `<base offset, 16 hex digits>.seg` in one directory;
 * a record is
 *   u32 total length | u32 CRC-32 of the rest | u32 header length | header (JSON) | body bytes
 * Offsets are global byte positions (segment base + position in segment).
 */
import { readdirSync, readSync } from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { FollowPosition } from '../sources/follow.js';

/** Metadata of one journal record: where its bytes came from and how to read them. */
export interface JournalHeader {
  /** `hec` or `syslog` */
  origin: string;
  /** the source (`src/sources/registry.ts` name) that reads the body; absent: sniff it */
  format?: string;
  channel?: string;
  sourcetype?: string;
  source?: string;
  host?: string;
  index?: string;
  /** the peer that sent it */
  peer?: string;
  /** resend digests of the units (HEC event envelopes, or a raw body) this record holds */
  digests?: string[];
  /** a followed file's position once this record is read (`serve --follow`) */
  follow?: FollowPosition;
}

const RECORD_PREFIX = 12;
const SEGMENT_NAME = /^[0-9a-f]{16}\.seg$/;

export function segmentFile(dir: string, base: number): string {
  return path.join(dir, `${base.toString(16).padStart(16, '0')}.seg`);
}

/** the segment files in `dir`, in offset order */
export function segmentsIn(dir: string): Array<{ base: number; file: string }> {
  return readdirSync(dir)
    .filter((n) => SEGMENT_NAME.test(n))
    .sort()
    .map((n) => ({ base: Number.parseInt(n.slice(0, 16), 16), file: path.join(dir, n) }));
}

/** a record's bytes, to be written in this order, and their length */
export function encodeRecord(header: JournalHeader, body: Buffer): { buffers: Buffer[]; bytes: number } {
  const head = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(RECORD_PREFIX);
  const total = RECORD_PREFIX + head.length + body.length;
  prefix.writeUInt32LE(total, 0);
  prefix.writeUInt32LE(head.length, 8);
  let crc = crc32(prefix.subarray(8, 12));
  crc = crc32(head, crc);
  crc = crc32(body, crc);
  prefix.writeUInt32LE(crc, 4);
  return { buffers: [prefix, head, body], bytes: total };
}

/** the record at `position` of a segment, or undefined where it is cut short or fails its CRC */
export function readRecord(fd: number, position: number): { total: number; header: JournalHeader; body: Buffer } | undefined {
  const prefix = Buffer.alloc(RECORD_PREFIX);
  if (readSync(fd, prefix, 0, RECORD_PREFIX, position) < RECORD_PREFIX) return undefined;
  const total = prefix.readUInt32LE(0);
  const headLength = prefix.readUInt32LE(8);
  if (total < RECORD_PREFIX + headLength) return undefined;
  const rest = Buffer.allocUnsafe(total - RECORD_PREFIX);
  if (readSync(fd, rest, 0, rest.length, position + RECORD_PREFIX) < rest.length) return undefined;
  const crc = crc32(rest, crc32(prefix.subarray(8, 12)));
  if (crc !== prefix.readUInt32LE(4)) return undefined;
  try {
    return { total, header: JSON.parse(rest.subarray(0, headLength).toString('utf8')) as JournalHeader, body: rest.subarray(headLength) };
  } catch {
    return undefined;
  }
}

/** The length of the longest run of whole, valid records from the start of a segment. */
export function validLength(fd: number, size: number): number {
  let at = 0;
  while (at < size) {
    const record = readRecord(fd, at);
    if (!record) break;
    at += record.total;
  }
  return at;
}
