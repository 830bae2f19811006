import type { FieldValue } from './model.js';

/**
 * A raw value, or undefined when it means "none": empty, Sysmon's `-`, and Sysmon for Linux's
 * `(null)` / `<unknown process>` (it writes these when it could not read the process; as a value
 * they would group unrelated events together and give a bogus process_name).
 */
export function present(value: string | undefined): string | undefined {
  // a source that slips a number or null in must not make a mapping throw
  if (typeof value !== 'string') return value == null ? undefined : String(value);
  switch (value) {
    case '':
    case '-':
    case '(null)':
    case '<unknown process>':
      return undefined;
    default:
      return value;
  }
}

/** After the last `\` (Windows paths). */
export function basenameWindows(path: string): string {
  return path.slice(path.lastIndexOf('\\') + 1);
}

/** After the last `/` (Linux paths). */
export function basenamePosix(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** After the last `\` or `/`: CrowdStrike reports both Windows device paths and Unix paths. */
export function basenameAny(path: string): string {
  return path.slice(Math.max(path.lastIndexOf('\\'), path.lastIndexOf('/')) + 1);
}

/** `0xf84` -> `3972`; a decimal or unparsable value is returned as is. */
export function hexToDecimal(value: string): string {
  if (value.length < 3 || value.charCodeAt(0) !== 48 /* 0 */ || (value.charCodeAt(1) | 32) !== 120 /* x */) {
    return value;
  }
  const n = parseInt(value.slice(2), 16);
  return Number.isNaN(n) ? value : String(n);
}

const integrityByRid = new Map<number, string>([
  [0, 'untrusted'],
  [4096, 'low'],
  [8192, 'medium'],
  [8448, 'medium'], // "medium plus"
  [12288, 'high'],
  [16384, 'system'],
  [20480, 'protected'],
]);

/** Mandatory-label RID, decimal (`12288`) or hex (`0x3000`) -> `high`; unknown RIDs are kept as given. */
export function integrityFromRid(value: string): string {
  const hex = value.length > 2 && value.charCodeAt(0) === 48 && (value.charCodeAt(1) | 32) === 120;
  const rid = hex ? parseInt(value.slice(2), 16) : Number(value);
  return integrityByRid.get(rid) ?? value;
}

const integrityByLabel = new Map<string, string>([
  ['untrusted', 'untrusted'],
  ['low', 'low'],
  ['medium', 'medium'],
  ['medium plus', 'medium'],
  ['high', 'high'],
  ['system', 'system'],
  ['protected process', 'protected'],
]);

const LEVEL_SUFFIX = ' mandatory level';

/**
 * 4688 MandatoryLabel -> integrity level. Rendered by Windows as `Mandatory Label\High Mandatory
 * Level`; raw EVTX gives the label SID `S-1-16-12288`.
 */
export function integrityFromMandatoryLabel(value: string): string {
  if (value.startsWith('S-1-16-')) return integrityFromRid(value.slice(7));
  let label = value.slice(value.lastIndexOf('\\') + 1).toLowerCase();
  if (label.endsWith(LEVEL_SUFFIX)) label = label.slice(0, -LEVEL_SUFFIX.length);
  return integrityByLabel.get(label) ?? label;
}

/** Splits a `;`-separated list, trimming entries and dropping empty ones (trailing `;`). */
export function splitList(value: string, out: string[] = []): string[] {
  let start = 0;
  while (start <= value.length) {
    let end = value.indexOf(';', start);
    if (end < 0) end = value.length;
    const entry = value.slice(start, end).trim();
    if (entry !== '') out.push(entry);
    start = end + 1;
  }
  return out;
}

/**
 * Sysmon EID 22 QueryResults -> answers: split on `;`, CNAME entries `type:  5 name` keep only the
 * name; `::ffff:1.2.3.4` (IPv4-mapped) is kept as written. `-` or nothing -> no answers.
 */
export function dnsAnswers(queryResults: string | undefined): string[] {
  const value = present(queryResults);
  if (value === undefined) return [];
  const entries = splitList(value);
  for (let i = 0; i < entries.length; i++) entries[i] = stripRecordType(entries[i]);
  return entries.filter((entry) => entry !== '');
}

/** `type:  5 foo.example.com` -> `foo.example.com`; other entries unchanged. */
function stripRecordType(entry: string): string {
  if (!entry.startsWith('type:')) return entry;
  let i = 5;
  while (i < entry.length && entry.charCodeAt(i) === 32) i++;
  while (i < entry.length && isDigit(entry.charCodeAt(i))) i++;
  while (i < entry.length && entry.charCodeAt(i) === 32) i++;
  return entry.slice(i);
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

const recordTypeNames: Record<string, string> = {
  '1': 'A', '2': 'NS', '5': 'CNAME', '6': 'SOA', '12': 'PTR', '15': 'MX', '16': 'TXT', '28': 'AAAA', '33': 'SRV',
};

/**
 * The record types of a Sysmon EID 22 answer (Sysmon does not log the query's own type): an
 * address is `A` or `AAAA`, other records carry `type:  N` (named when well known, else `TYPEn`).
 */
export function dnsRecordTypes(queryResults: string | undefined): string[] {
  const value = present(queryResults);
  if (value === undefined) return [];
  const types = new Set<string>();
  for (const entry of splitList(value)) {
    if (entry.startsWith('type:')) {
      const number = entry.slice(5).trim().split(' ')[0];
      types.add(recordTypeNames[number] ?? `TYPE${number}`);
    } else {
      types.add(entry.includes(':') && !entry.startsWith('::ffff:') ? 'AAAA' : 'A');
    }
  }
  return [...types];
}

/**
 * Windows DNS status codes (Sysmon's QueryStatus) as DNS reply codes: 0 succeeded, 9001-9005 are
 * RCODEs 1-5 offset by 9000, 9501 is a name with no records of the type asked (RCODE 0).
 */
const replyCodeByStatus: Record<string, string> = {
  '0': 'NoError', '9501': 'NoError', '9001': 'FormErr', '9002': 'ServFail', '9003': 'NXDomain', '9004': 'NotImp', '9005': 'Refused',
};

export function dnsReplyCode(queryStatus: string): string | undefined {
  return replyCodeByStatus[queryStatus];
}

/** A multivalue field is absent when it has no values. */
export function multivalue(values: string[]): FieldValue | undefined {
  return values.length === 0 ? undefined : values;
}
