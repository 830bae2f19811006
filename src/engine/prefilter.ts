import type { Detection } from '../rules/detection.js';
import { requiredLiterals } from '../rules/spl/literals.js';
import type { RecordPrefilter } from '../sources/source.js';

/**
 * Fields whose values appear verbatim in every raw format we read, so a literal from a rule on
 * them must occur in the record's bytes. Host fields are absent on purpose: EVTX templates can
 * hold the computer name as static text outside the record. Derived fields (action,
 * vendor_product, decimal PIDs from hex, integrity names, GUIDs rendered from binary) are absent
 * because their text is not in the record.
 */
const VERBATIM_FIELDS = new Set([
  'process', 'process_path', 'process_name', 'process_exec', 'parent_process', 'parent_process_path',
  'parent_process_name', 'parent_process_exec', 'original_file_name', 'process_current_directory', 'process_hash',
  'user', 'query', 'answer', 'app', 'dest_ip', 'src_ip', 'dest_port', 'src_port',
  'Image', 'ImageLoaded', 'loaded_file', 'loaded_file_path', 'CommandLine', 'OriginalFileName', 'ParentImage',
  'ParentCommandLine', 'CurrentDirectory', 'User', 'QueryName', 'QueryResults', 'Hashes', 'Signature', 'signature',
  'TargetFilename', 'DestinationHostname', 'DestinationIp', 'SourceIp', 'DestinationPort', 'SourcePort',
]);

/** Characters a format may escape (JSON `\\ \" \/`, XML entities): needles never span them. */
const ESCAPABLE = /[\\/"'&<>]/;
const MIN_NEEDLE = 3;

/**
 * A prefilter that passes every record some detection could match, or undefined when a
 * detection has no required literal (then every record must be parsed).
 */
export function buildPrefilter(detections: Detection[]): RecordPrefilter | undefined {
  if (detections.length === 0) return undefined;
  const needles = new Set<string>();
  for (const d of detections) {
    const literals = requiredLiterals(d.plan.where, (field) => VERBATIM_FIELDS.has(field));
    if (!literals) return undefined;
    for (const literal of literals) {
      const needle = safeNeedle(literal);
      if (!needle) return undefined;
      needles.add(needle);
    }
  }
  return new LiteralPrefilter([...needles]);
}

/** the longest run of the literal that no format escapes, if it is long enough and ASCII */
function safeNeedle(literal: string): string | undefined {
  const piece = literal.split(ESCAPABLE).reduce((a, b) => (b.length > a.length ? b : a), '');
  // eslint-disable-next-line no-control-regex
  return piece.length >= MIN_NEEDLE && /^[\x20-\x7e]+$/.test(piece) ? piece.toLowerCase() : undefined;
}

class LiteralPrefilter implements RecordPrefilter {
  private readonly utf16Needles: string[];

  constructor(readonly needles: string[]) {
    // UTF-16LE bytes read as latin1: ASCII letters stay letters (so toLowerCase works), each followed by NUL.
    this.utf16Needles = needles.flatMap((n) => [Buffer.from(n, 'utf16le').toString('latin1'), ...binaryForms(n)]);
  }

  mayMatchText(text: string): boolean {
    const lower = text.toLowerCase();
    for (const needle of this.needles) if (lower.includes(needle)) return true;
    return false;
  }

  mayMatchUtf16(bytes: Uint8Array): boolean {
    const lower = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1').toLowerCase();
    for (const needle of this.utf16Needles) if (lower.includes(needle)) return true;
    return false;
  }
}

/**
 * EVTX stores typed numbers (ports, ids) in binary, not as text: a decimal needle also matches
 * its little-endian integer encodings. Extra matches only cost a parse.
 */
function binaryForms(needle: string): string[] {
  if (!/^\d+$/.test(needle)) return [];
  const value = BigInt(needle);
  const forms: string[] = [];
  for (const width of [2, 4, 8]) {
    if (value >= 1n << BigInt(width * 8)) continue;
    const buf = Buffer.alloc(8);
    buf.writeBigUInt64LE(value, 0);
    forms.push(buf.subarray(0, width).toString('latin1').toLowerCase());
  }
  return forms;
}
