import { parseNetwork } from '../../cim/ip.js';
import { compileLinearRegex } from '../linear-regex.js';
import type { Expr, GlobToken, ValueTest } from '../search-plan.js';

/** A problem in one search identifier, at a YAML path under it. */
export interface SearchError {
  path: Array<string | number>;
  message: string;
}

const encodings = ['base64', 'base64offset', 'wide', 'utf16le', 'utf16be', 'utf16'] as const;
const positions = ['contains', 'startswith', 'endswith'] as const;
const comparisons = ['lt', 'lte', 'gt', 'gte'] as const;
const flags = ['all', 'cased', 'windash', 're', 'i', 'm', 's', 'cidr', 'exists', 'neq', 'fieldref'] as const;
const knownModifiers = new Set<string>([...encodings, ...positions, ...comparisons, ...flags]);

type Encoding = (typeof encodings)[number];
type Position = (typeof positions)[number];

/** Windows accepts these for a leading `-` or `/` of a command-line switch (pySigma's set). */
const WINDASH_VARIANTS = ['-', '/', '\u2013', '\u2014', '\u2015'];
/** More placeholders than this would expand to thousands of values: refused, not truncated. */
const MAX_WINDASH_POSITIONS = 4;

/**
 * Compiles one search identifier: a map (every field entry holds), a list of maps (one of them
 * holds) or a list of plain values (keywords: one of them is in some field of the event).
 * Field names stay Sigma's; routing maps them per log source.
 */
export function compileSearch(value: unknown, path: Array<string | number>, errors: SearchError[]): Expr | undefined {
  if (isMap(value)) return compileMap(value, path, errors);
  if (Array.isArray(value)) {
    if (value.length === 0) return fail(errors, path, 'an empty list matches nothing');
    if (value.every(isMap)) return combine('or', value.map((m, i) => compileMap(m as Record<string, unknown>, [...path, i], errors)));
    if (value.every(isScalar)) return combine('or', value.map((v, i) => keyword(v, [...path, i], errors)));
    return fail(errors, path, 'a search list must hold only maps or only plain values (keywords)');
  }
  if (isScalar(value) && value !== null) return keyword(value, path, errors);
  return fail(errors, path, 'a search identifier must be a map of fields, a list of maps or a list of keywords');
}

function keyword(value: string | number | boolean | null, path: Array<string | number>, errors: SearchError[]): Expr | undefined {
  if (value === null) return fail(errors, path, 'a keyword cannot be null');
  // keywords match as substrings of any field value, as Chainsaw, Zircolite and rsigma do
  return { kind: 'test', field: null, test: { op: 'glob', tokens: withPosition(sigmaTokens(String(value)), 'contains'), cased: false } };
}

function compileMap(map: Record<string, unknown>, path: Array<string | number>, errors: SearchError[]): Expr | undefined {
  const entries = Object.entries(map);
  if (entries.length === 0) return fail(errors, path, 'an empty map matches nothing');
  return combine('and', entries.map(([key, value]) => compileEntry(key, value, [...path, key], errors)));
}

/** `Field|mod|mod: value(s)` */
function compileEntry(key: string, value: unknown, path: Array<string | number>, errors: SearchError[]): Expr | undefined {
  const [field, ...modifiers] = key.split('|');
  const unknown = modifiers.filter((m) => !knownModifiers.has(m));
  if (unknown.length > 0) {
    const expand = unknown.includes('expand') ? ' (`expand` placeholders need values a pipeline supplies)' : '';
    return fail(errors, path, `modifier ${unknown.map((m) => `'${m}'`).join(', ')} is not supported${expand}`);
  }
  const has = (m: string) => modifiers.includes(m);
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) return fail(errors, path, 'an empty value list matches nothing');
  const fieldName = field === '' ? null : field;
  const tests: Array<Expr | undefined> = list.map((v, i) => {
    const at = Array.isArray(value) ? [...path, i] : path;
    const expr = valueExpr(fieldName, modifiers, v, at, errors);
    return expr && has('neq') ? { kind: 'not', term: expr } : expr;
  });
  return combine(has('all') ? 'and' : 'or', tests);
}

function valueExpr(field: string | null, modifiers: string[], value: unknown, path: Array<string | number>, errors: SearchError[]): Expr | undefined {
  const has = (m: string) => modifiers.includes(m);
  const leaf = (test: ValueTest): Expr | undefined => {
    if (field === null && (test.op === 'exists' || test.op === 'null' || test.op === 'fieldref')) return fail(errors, path, `'${test.op}' needs a field`);
    return { kind: 'test', field, test };
  };
  if (has('exists')) {
    if (typeof value !== 'boolean') return fail(errors, path, '`exists` takes true or false');
    const exists = leaf({ op: 'exists' });
    return value || !exists ? exists : { kind: 'not', term: exists };
  }
  if (value === null) return leaf({ op: 'null' });
  if (!isScalar(value)) return fail(errors, path, 'a value must be a string, number or boolean');
  const text = String(value);
  if (has('re')) {
    const reFlags = ['i', 'm', 's'].filter(has).join('');
    const compiled = compileLinearRegex(text, { ignoreCase: has('i'), multiline: has('m'), dotAll: has('s') });
    if (!compiled.ok) return fail(errors, path, `re: ${compiled.reason}`);
    return leaf({ op: 'regex', pattern: text, flags: reFlags });
  }
  if (has('cidr')) return parseNetwork(text) ? leaf({ op: 'cidr', network: text }) : fail(errors, path, `cidr: '${text}' is not an IPv4 or IPv6 network`);
  const comparison = comparisons.find(has);
  if (comparison) {
    const n = typeof value === 'number' ? value : Number(text);
    return Number.isFinite(n) && text.trim() !== '' ? leaf({ op: comparison, value: n }) : fail(errors, path, `${comparison}: '${text}' is not a number`);
  }
  const position = positions.find(has);
  if (has('fieldref')) return leaf({ op: 'fieldref', other: text, position: position ?? 'equals', cased: has('cased') });
  // numbers and booleans are plain text; only strings carry wildcards and escapes
  let variants: GlobToken[][] = [typeof value === 'string' ? sigmaTokens(value) : [text]];
  if (has('windash')) {
    const expanded = variants.map(windash);
    if (expanded.some((e) => e === undefined)) return fail(errors, path, `windash: more than ${MAX_WINDASH_POSITIONS} switch positions in one value`);
    variants = (expanded as GlobToken[][][]).flat();
  }
  let asBytes = false;
  for (const encoding of modifiers.filter((m): m is Encoding => (encodings as readonly string[]).includes(m))) {
    const encoded = variants.map((tokens) => encode(tokens, encoding, asBytes));
    asBytes = true;
    if (encoded.some((e) => e === undefined)) return fail(errors, path, `${encoding}: a value with wildcards cannot be encoded`);
    variants = (encoded as GlobToken[][][]).flat();
  }
  const wide = modifiers.some((m) => m === 'wide' || m.startsWith('utf16'));
  if (wide && !has('base64') && !has('base64offset')) return fail(errors, path, 'wide/utf16 encodings are only supported under base64 or base64offset');
  // base64offset yields fragments of a longer encoding: they can only be contained
  const effective: Position | undefined = position ?? (has('base64offset') ? 'contains' : undefined);
  const tests = variants.map((tokens) => leaf({ op: 'glob', tokens: withPosition(tokens, effective), cased: has('cased') }));
  return combine('or', tests);
}

/**
 * A Sigma string as glob tokens: `*` and `?` are wildcards; `\*`, `\?` and `\\` stand for the
 * character itself; any other backslash is a plain backslash (`C:\Windows\`).
 */
export function sigmaTokens(text: string): GlobToken[] {
  const tokens: GlobToken[] = [];
  let literal = '';
  const flush = () => {
    if (literal !== '') tokens.push(literal);
    literal = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && i + 1 < text.length && '*?\\'.includes(text[i + 1])) {
      literal += text[++i];
    } else if (c === '*' || c === '?') {
      flush();
      tokens.push({ wildcard: c });
    } else {
      literal += c;
    }
  }
  flush();
  return tokens;
}

function withPosition(tokens: GlobToken[], position: Position | undefined): GlobToken[] {
  const star: GlobToken = { wildcard: '*' };
  const starts = position === 'contains' || position === 'endswith';
  const ends = position === 'contains' || position === 'startswith';
  return [...(starts ? [star] : []), ...tokens, ...(ends ? [star] : [])];
}

/**
 * pySigma's windash: a `-` or `/` at the start of a word (after a non-word character or the start)
 * and before a word character becomes each of the variants, in every combination.
 */
function windash(tokens: GlobToken[]): GlobToken[][] | undefined {
  let results: GlobToken[][] = [[]];
  let previous = '';
  let positionsSeen = 0;
  for (const token of tokens) {
    if (typeof token !== 'string') {
      results = results.map((r) => [...r, token]);
      previous = '';
      continue;
    }
    let pieces = [''];
    for (let i = 0; i < token.length; i++) {
      const c = token[i];
      const next = token[i + 1] ?? '';
      if ((c === '-' || c === '/') && !isWordChar(previous) && isWordChar(next)) {
        if (++positionsSeen > MAX_WINDASH_POSITIONS) return undefined;
        pieces = pieces.flatMap((p) => WINDASH_VARIANTS.map((v) => p + v));
      } else {
        pieces = pieces.map((p) => p + c);
      }
      previous = c;
    }
    results = results.flatMap((r) => pieces.map((p) => [...r, p]));
  }
  return results;
}

function isWordChar(c: string): boolean {
  return /^[\p{L}\p{N}_]$/u.test(c);
}

/**
 * The value's encodings (three for base64offset); undefined when it has wildcards. Text is UTF-8
 * until an encoding made it bytes (held one per character, latin1).
 */
function encode(tokens: GlobToken[], encoding: Encoding, asBytes: boolean): GlobToken[][] | undefined {
  if (tokens.some((t) => typeof t !== 'string')) return undefined;
  const text = (tokens as string[]).join('');
  switch (encoding) {
    case 'wide':
    case 'utf16le':
      return [[Buffer.from(text, 'utf16le').toString('latin1')]];
    case 'utf16be':
      return [[Buffer.from(text, 'utf16le').swap16().toString('latin1')]];
    case 'utf16':
      return [['\xff\xfe' + Buffer.from(text, 'utf16le').toString('latin1')]];
    case 'base64':
      return [[Buffer.from(text, asBytes ? 'latin1' : 'utf8').toString('base64')]];
    case 'base64offset':
      return base64Offsets(Buffer.from(text, asBytes ? 'latin1' : 'utf8')).map((s) => [s]);
  }
}

/**
 * The three base64 forms of `bytes` as part of a longer encoded text, one per alignment (pySigma's
 * base64offset): characters that depend on the unknown bytes around it are cut off.
 */
function base64Offsets(bytes: Buffer): string[] {
  const startCut = [0, 2, 3];
  const endCut = [0, 3, 2];
  return [0, 1, 2].map((offset) => {
    const encoded = Buffer.concat([Buffer.alloc(offset, 0x20), bytes]).toString('base64');
    const cut = endCut[(bytes.length + offset) % 3];
    return encoded.slice(startCut[offset], cut === 0 ? undefined : encoded.length - cut);
  });
}

export function combine(kind: 'and' | 'or', terms: Array<Expr | undefined>): Expr | undefined {
  if (terms.some((t) => t === undefined)) return undefined;
  const list = terms as Expr[];
  return list.length === 1 ? list[0] : { kind, terms: list };
}

function fail(errors: SearchError[], path: Array<string | number>, message: string): undefined {
  errors.push({ path, message });
  return undefined;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): value is string | number | boolean | null {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}
