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

/**
 * Per dataset, fields that are verbatim there only: in Network_Traffic `dest`/`src` are the
 * event's DestinationHostname/DestinationIp (SourceHostname/SourceIp) as written, while elsewhere
 * they are the host name.
 */
const VERBATIM_IN_DATASET: Record<string, Set<string>> = {
  'Network_Traffic.All_Traffic': new Set(['dest', 'src']),
};

/** Characters a format may escape (JSON `\\ \" \/`, XML entities): needles never span them. */
const ESCAPABLE = /[\\/"'&<>]/;
const MIN_NEEDLE = 3;

/**
 * A prefilter that passes every record some detection could match, or undefined when a
 * detection has no required literal (then every record must be parsed).
 */
export function buildPrefilter(detections: Detection[]): RecordPrefilter | undefined {
  const { needles, uncovered } = prefilterNeedles(detections);
  return detections.length === 0 || uncovered.length > 0 ? undefined : new LiteralPrefilter(needles);
}

/**
 * The lowercased strings the prefilter searches raw records for, and the detections that have no
 * required literal (any one of them disables the prefilter). Benchmarks grep for the same needles.
 */
export function prefilterNeedles(detections: Detection[]): { needles: string[]; uncovered: Detection[] } {
  const needles = new Set<string>();
  const uncovered: Detection[] = [];
  for (const d of detections) {
    const own = needlesOf(d);
    if (own) for (const n of own) needles.add(n);
    else uncovered.push(d);
  }
  return { needles: withoutSuperstrings([...needles]), uncovered };
}

function needlesOf(d: Detection): string[] | undefined {
  const local = VERBATIM_IN_DATASET[d.plan.dataset];
  const isVerbatim = (field: string) => VERBATIM_FIELDS.has(field) || local?.has(field) === true;
  return requiredLiterals(d.plan.where, isVerbatim, safeNeedle) ?? undefined;
}

/** A needle containing another needle can only match where the shorter one does: one search, not two. */
function withoutSuperstrings(needles: string[]): string[] {
  return needles.filter((n) => !needles.some((m) => m !== n && n.includes(m)));
}

/** the longest run of the literal that no format escapes, if it is long enough and ASCII */
function safeNeedle(literal: string): string | undefined {
  const piece = literal.split(ESCAPABLE).reduce((a, b) => (b.length > a.length ? b : a), '');
  // eslint-disable-next-line no-control-regex
  return piece.length >= MIN_NEEDLE && /^[\x20-\x7e]+$/.test(piece) ? piece.toLowerCase() : undefined;
}

/**
 * Letters and symbols from most to least frequent in Windows/Sysmon log text (lowercased). Searching
 * from a needle's rarest character lets indexOf's first-character scan skip most of the record.
 */
const FREQUENT_FIRST = 'etaoinsrlcdhumpfgwybvkxjqz0123456789';

/** A needle found by searching for its tail from its rarest character, then checking the head. */
interface Anchored {
  needle: string;
  /** index of the rarest character in `needle` */
  at: number;
  tail: string;
}

function anchored(needle: string): Anchored {
  let at = 0;
  for (let i = 1; i < needle.length; i++) if (rarity(needle[i]) > rarity(needle[at])) at = i;
  return { needle, at, tail: needle.slice(at) };
}

/** punctuation and anything unlisted counts as rarer than every listed character */
function rarity(c: string): number {
  const rank = FREQUENT_FIRST.indexOf(c);
  return rank < 0 ? FREQUENT_FIRST.length : rank;
}

class LiteralPrefilter implements RecordPrefilter {
  private readonly textNeedles: Anchored[];
  private readonly utf16Needles: string[];

  constructor(readonly needles: string[]) {
    this.textNeedles = needles.map(anchored);
    // UTF-16LE bytes read as latin1: ASCII letters stay letters (so toLowerCase works), each followed by NUL.
    this.utf16Needles = needles.flatMap((n) => [Buffer.from(n, 'utf16le').toString('latin1'), ...binaryForms(n)]);
  }

  mayMatchText(text: string): boolean {
    const lower = text.toLowerCase();
    for (const { needle, at, tail } of this.textNeedles) {
      for (let i = lower.indexOf(tail, at); i >= 0; i = lower.indexOf(tail, i + 1)) {
        if (lower.startsWith(needle, i - at)) return true;
      }
    }
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
