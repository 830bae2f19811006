/**
 * Chunk framing: validate a 64 KiB chunk header and cut its record area into records, without
 * decoding any BinXML. Framing is cheap and runs on the main thread (it also feeds the prefilter);
 * decoding can then run anywhere, since a chunk is self-contained.
 */
import type { SkipCode } from '../../diagnostics/codes.js';
import { zlib } from '../lazy-builtins.js';
import { CHUNK_SIZE } from './file-header.js';

export const CHUNK_MAGIC = Buffer.from('ElfChnk\0', 'latin1');
const CHUNK_MAGIC_LO = CHUNK_MAGIC.readUInt32LE(0);
const CHUNK_MAGIC_HI = CHUNK_MAGIC.readUInt32LE(4);
const RECORD_MAGIC = 0x00002a2a;
const RECORD_SIGNATURE = Buffer.from([0x2a, 0x2a, 0, 0]);
const CHUNK_HEADER_SIZE = 512;
/** a record: this header, its BinXML data, then a copy of its size */
export const RECORD_HEADER_SIZE = 24;
export const RECORD_TRAILER_SIZE = 4;
const NO_CRC32 = 0x4;
const ZERO_CHUNK = Buffer.alloc(CHUNK_SIZE);

/** A problem found at an absolute file offset. */
export interface EvtxIssue { offset: number; code: SkipCode; reason: string; bytes?: number }

export interface ChunkFrame {
  /** chunk-relative offsets and sizes of the records, as flat pairs [offset, size, offset, size, ...] */
  records: number[];
  issues: EvtxIssue[];
}

function isZero(buf: Buffer, start: number, end: number): boolean {
  return buf.subarray(start, end).equals(ZERO_CHUNK.subarray(0, end - start));
}

/** Size of a record with magic and a sane size at `pos`, or 0. */
function plausibleSizeAt(buf: Buffer, pos: number): number {
  if (pos + RECORD_HEADER_SIZE > buf.length || buf.readUInt32LE(pos) !== RECORD_MAGIC) return 0;
  const size = buf.readUInt32LE(pos + 4);
  return size < 28 || pos + size > buf.length ? 0 : size;
}

/** Size of a self-consistent record (trailing size copy matches) at `pos`, or 0. */
function recordSizeAt(buf: Buffer, pos: number): number {
  const size = plausibleSizeAt(buf, pos);
  return size && buf.readUInt32LE(pos + size - RECORD_TRAILER_SIZE) === size ? size : 0;
}

/**
 * A half-written last record can have a stale size copy and still decode, so a copy mismatch is
 * accepted when the record ends the record area (free-space offset or zeros) or a valid record
 * follows it; a
 * corrupted size field fails that test, and the rest of the chunk is reported instead of misread.
 */
function acceptedSizeAt(buf: Buffer, pos: number, free: number): number {
  const size = plausibleSizeAt(buf, pos);
  if (!size || buf.readUInt32LE(pos + size - RECORD_TRAILER_SIZE) === size) return size;
  const next = pos + size;
  const endOfRecords = next === free || next + 4 > buf.length || buf.readUInt32LE(next) === 0;
  return endOfRecords || recordSizeAt(buf, next) ? size : 0;
}

/**
 * The next self-consistent record (magic, sane size, matching trailing copy) in [from, end), found
 * by its signature: a damaged record header costs that record, not the rest of its chunk.
 */
function nextRecordAt(buf: Buffer, from: number, end: number): number | undefined {
  for (let q = buf.indexOf(RECORD_SIGNATURE, from); q >= 0 && q + RECORD_HEADER_SIZE <= end; q = buf.indexOf(RECORD_SIGNATURE, q + 1)) {
    if (recordSizeAt(buf, q) > 0) return q;
  }
  return undefined;
}

/**
 * A record whose magic is intact but whose size field is damaged: when the size copy that ends
 * right before `next` (the next record, or the end of the record area) spans exactly back to
 * `pos`, that copy is its size.
 */
function repairedSizeAt(buf: Buffer, pos: number, next: number): number {
  if (buf.readUInt32LE(pos) !== RECORD_MAGIC || next - pos < 28 || next > buf.length) return 0;
  return buf.readUInt32LE(next - RECORD_TRAILER_SIZE) === next - pos ? next - pos : 0;
}

function recordId(buf: Buffer, pos: number): number {
  return buf.readUInt32LE(pos + 12) * 4294967296 + buf.readUInt32LE(pos + 8);
}

/**
 * Frame one chunk slot. `buf` is the slot's bytes (shorter than 64 KiB only at a truncated file end),
 * `fileOffset` its absolute offset. All-zero slots are unused and yield nothing, silently.
 */
export function frameChunk(buf: Buffer, fileOffset: number): ChunkFrame {
  const issues: EvtxIssue[] = [];
  const records: number[] = [];
  const truncated = buf.length < CHUNK_SIZE;
  const magic = buf.length >= 8 && buf.readUInt32LE(0) === CHUNK_MAGIC_LO && buf.readUInt32LE(4) === CHUNK_MAGIC_HI;
  if (!magic && isZero(buf, 0, buf.length)) return { records, issues };
  if (buf.length < CHUNK_HEADER_SIZE || !magic) {
    const code = buf.length < CHUNK_HEADER_SIZE ? 'evtx-truncated' : 'evtx-bad-chunk';
    issues.push({ offset: fileOffset, code, reason: code === 'evtx-truncated' ? 'file ends inside a chunk header' : 'bad chunk magic; slot skipped', bytes: buf.length });
    return { records, issues };
  }
  const declaredFree = buf.readUInt32LE(48);
  const free = declaredFree < CHUNK_HEADER_SIZE || declaredFree > CHUNK_SIZE ? CHUNK_SIZE : declaredFree;
  const lastId = buf.readUInt32LE(36) * 4294967296 + buf.readUInt32LE(32);
  if (!(buf.readUInt32LE(120) & NO_CRC32) && free <= buf.length) {
    const { crc32 } = zlib();
    const headerCrc = crc32(buf.subarray(128, 512), crc32(buf.subarray(0, 120)));
    const dataCrc = crc32(buf.subarray(CHUNK_HEADER_SIZE, free));
    if (headerCrc !== buf.readUInt32LE(124) || dataCrc !== buf.readUInt32LE(52)) {
      const which = headerCrc !== buf.readUInt32LE(124) ? 'header' : 'data';
      issues.push({ offset: fileOffset, code: 'evtx-bad-checksum', reason: `chunk ${which} checksum mismatch; chunk decoded anyway` });
    }
  }
  // Like the evtx crate: records end at the free-space offset or after the header's last record id;
  // past that, dirty and reused chunks hold stale records of an older generation.
  let pos = CHUNK_HEADER_SIZE;
  const end = Math.min(free, buf.length);
  while (pos + RECORD_HEADER_SIZE <= end) {
    if (buf.readUInt32LE(pos) === 0 && isZero(buf, pos, end)) break; // the unused rest of the record area
    let size = acceptedSizeAt(buf, pos, free);
    if (size === 0) {
      const declared = buf.readUInt32LE(pos) === RECORD_MAGIC ? buf.readUInt32LE(pos + 4) : 0;
      if (truncated && declared >= 28 && pos + declared > buf.length && pos + declared <= CHUNK_SIZE) {
        issues.push({ offset: fileOffset + pos, code: 'evtx-truncated', reason: 'file ends inside a record', bytes: end - pos });
        pos = end;
        break;
      }
      const next = nextRecordAt(buf, pos + 1, end);
      const repaired = repairedSizeAt(buf, pos, next ?? end);
      if (repaired > 0) {
        issues.push({ offset: fileOffset + pos, code: 'evtx-bad-record', reason: `record size field corrupt (${declared}); size ${repaired} taken from its trailing copy`, bytes: 0 });
        size = repaired;
      } else {
        const to = next ?? end;
        const rest = next === undefined ? '; no record follows in this chunk' : `; reading resumes at the next record, offset ${fileOffset + to}`;
        issues.push({ offset: fileOffset + pos, code: 'evtx-bad-record', reason: `invalid record header (size ${declared}); ${to - pos} bytes skipped${rest}`, bytes: to - pos });
        pos = to;
        continue;
      }
    }
    records.push(pos, size);
    pos += size;
    if (recordId(buf, pos - size) === lastId) break;
  }
  if (truncated && pos + RECORD_HEADER_SIZE > buf.length && pos < buf.length && !isZero(buf, pos, buf.length) && pos < free) {
    issues.push({ offset: fileOffset + pos, code: 'evtx-truncated', reason: 'file ends inside a record', bytes: buf.length - pos });
  }
  return { records, issues };
}
