import type { Detection } from '../rules/detection.js';
import { requiredLiterals } from '../rules/spl/literals.js';
import type { RecordPrefilter } from '../sources/source.js';
import { NeedleAutomaton } from './automaton.js';

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
  const { needles, wholeNumbers, uncovered } = prefilterNeedles(detections);
  return detections.length === 0 || uncovered.length > 0 ? undefined : new LiteralPrefilter(needles, wholeNumbers);
}

/**
 * The lowercased strings the prefilter searches raw records for, and the detections that have no
 * required literal (any one of them disables the prefilter). Benchmarks grep for the same needles.
 */
export function prefilterNeedles(detections: Detection[]): { needles: string[]; wholeNumbers: Set<string>; uncovered: Detection[] } {
  const needles = new Set<string>();
  const numbers = { whole: new Set<string>(), partial: new Set<string>() };
  const uncovered: Detection[] = [];
  for (const d of detections) {
    const own = needlesOf(d, numbers);
    if (own) for (const n of own) needles.add(n);
    else uncovered.push(d);
  }
  // a number some rule also matches as part of a longer value (`*3389*`) may touch other digits
  const wholeNumbers = new Set([...numbers.whole].filter((n) => !numbers.partial.has(n)));
  return { needles: withoutSuperstrings([...needles], wholeNumbers), wholeNumbers, uncovered };
}

/**
 * A needle's literals; numbers are noted as whole field values (`dest_port=7000`: in raw text no
 * digit can touch them) or parts of a value (`process=*3389*`).
 */
function needlesOf(d: Detection, numbers: { whole: Set<string>; partial: Set<string> }): string[] | undefined {
  const local = VERBATIM_IN_DATASET[d.plan.dataset];
  const isVerbatim = (field: string) => VERBATIM_FIELDS.has(field) || local?.has(field) === true;
  const toNeedle = (literal: string, whole: boolean) => {
    const needle = safeNeedle(literal);
    if (needle && /^\d+$/.test(needle)) (whole && needle === literal ? numbers.whole : numbers.partial).add(needle);
    return needle;
  };
  return requiredLiterals(d.plan.where, isVerbatim, toNeedle) ?? undefined;
}

/**
 * A needle containing another needle can only match where the shorter one does: one search, not
 * two. Not so when the shorter one is a whole number, which matches in fewer places.
 */
function withoutSuperstrings(needles: string[], wholeNumbers: Set<string>): string[] {
  return needles.filter((n) => !needles.some((m) => m !== n && !wholeNumbers.has(m) && n.includes(m)));
}

/** the longest run of the literal that no format escapes, if it is long enough and ASCII */
function safeNeedle(literal: string): string | undefined {
  const piece = literal.split(ESCAPABLE).reduce((a, b) => (b.length > a.length ? b : a), '');
  // eslint-disable-next-line no-control-regex
  return piece.length >= MIN_NEEDLE && /^[\x20-\x7e]+$/.test(piece) ? piece.toLowerCase() : undefined;
}

class LiteralPrefilter implements RecordPrefilter {
  private readonly text: NeedleAutomaton;
  private readonly utf16: NeedleAutomaton;

  constructor(readonly needles: string[], wholeNumbers: Set<string>) {
    // A whole field value in text (a port) never touches another digit: `7000` must not match a timestamp.
    this.text = new NeedleAutomaton(needles.map((n) => ({ bytes: Buffer.from(n, 'latin1'), digitBounded: wholeNumbers.has(n) })));
    // In EVTX record data text is UTF-16LE (each ASCII letter followed by NUL) and numbers are binary.
    this.utf16 = new NeedleAutomaton(needles.flatMap((n) => [Buffer.from(n, 'utf16le'), ...binaryForms(n)]).map((bytes) => ({ bytes })));
  }

  mayMatchText(text: string): boolean {
    return this.text.matchesText(text);
  }

  mayMatchBytes(bytes: Uint8Array, start?: number, end?: number): boolean {
    return this.text.matchesBytes(bytes, start, end);
  }

  mayMatchUtf16(bytes: Uint8Array): boolean {
    return this.utf16.matchesBytes(bytes);
  }
}

/**
 * EVTX stores typed numbers (ports, ids) in binary, not as text: a decimal needle also matches
 * its little-endian integer encodings. Extra matches only cost a parse.
 */
function binaryForms(needle: string): Uint8Array[] {
  if (!/^\d+$/.test(needle)) return [];
  const value = BigInt(needle);
  const forms: Uint8Array[] = [];
  for (const width of [2, 4, 8]) {
    if (value >= 1n << BigInt(width * 8)) continue;
    const buf = Buffer.alloc(8);
    buf.writeBigUInt64LE(value, 0);
    forms.push(buf.subarray(0, width));
  }
  return forms;
}
