/** The 4096-byte EVTX file header. Only the magic matters for decoding; the rest is reported. */
import { zlib } from '../lazy-builtins.js';

export const FILE_HEADER_SIZE = 4096;
export const CHUNK_SIZE = 65536;
export const FILE_MAGIC = Buffer.from('ElfFile\0', 'latin1');

export interface FileHeader {
  /** magic present */
  valid: boolean;
  /** what is wrong with it, when something is */
  problem?: string;
  majorVersion: number;
  minorVersion: number;
  /** header chunk count: u16 that overflows and lies on dirty files; never used to bound iteration */
  chunkCount: number;
  flags: number;
}

export function parseFileHeader(head: Buffer): FileHeader {
  if (head.length < 128 || !head.subarray(0, 8).equals(FILE_MAGIC)) {
    return { valid: false, problem: 'missing ElfFile magic', majorVersion: 0, minorVersion: 0, chunkCount: 0, flags: 0 };
  }
  const h: FileHeader = {
    valid: true,
    minorVersion: head.readUInt16LE(36),
    majorVersion: head.readUInt16LE(38),
    chunkCount: head.readUInt16LE(42),
    flags: head.readUInt32LE(120),
  };
  // flag 0x4 (evtx crate: no CRC32) marks headers whose checksum is not maintained
  if (!(h.flags & 0x4) && zlib().crc32(head.subarray(0, 120)) !== head.readUInt32LE(124)) h.problem = 'file header checksum mismatch';
  return h;
}
