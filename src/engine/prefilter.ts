import { guardedPieces, literalGuard, type LiteralGuard, type MappingCatalog } from '../cim/verbatim.js';
import { families } from '../families/registry.js';
import type { DatasetName } from '../cim/model.js';
import { joinedSearches, type Detection } from '../rules/detection.js';
import type { Expr } from '../rules/search-plan.js';
import { leafPatterns, requiredLiterals } from '../rules/spl/literals.js';
import type { RecordKind, RecordPrefilter } from '../sources/source.js';
import { NeedleAutomaton, type Needle } from './automaton.js';
import { KindIndex, type KindCatalog } from './prefilter-kinds.js';
import { decodePrefilter, encodePrefilter, type SavedAnalysis, type TextAutomata } from './prefilter-tables.js';
import type { TableStore } from './saved-tables.js';
import { isMet, requirementOf, requirementsByLiteral, type Requirement } from './requirement.js';

/** Characters a format may escape (JSON `\\ \" \/`, XML entities): needles never span them. */
// and needles are printable ASCII: anything else splits them too
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\\/"'&<>]|[^\x20-\x7e]/;
const MIN_NEEDLE = 3;
/**
 * The exact test only sees the few records the quick one passed, so it can afford literals too
 * short for a search of every record: a process name `lt` rules out svchost's ` -p `.
 */
const MIN_EXACT_LITERAL = 2;

/**
 * A prefilter that passes every record some detection could match (undefined without detections).
 * When a detection has no required literal, every record of unknown kind must be parsed; a record
 * whose kind its source knows (RecordKind) is tested against the detections of that kind only.
 * `tables`: the event families' mapping tables, which say which fields are verbatim and which
 * event codes each dataset reads (default: the registered families). `store`: where the analysis
 * and the text automata of earlier runs over the same detections are kept (prefilter-tables.ts).
 */
export function buildPrefilter(detections: Detection[], tables: MappingCatalog & KindCatalog = families.normalizer, store?: TableStore): RecordPrefilter | undefined {
  if (detections.length === 0) return undefined;
  const kinds = () => new KindPrefilter(detections, tables);
  const saved = store && decodePrefilter(store.read(), detections.length);
  if (saved) return saved.literal ? new LiteralPrefilter({ ...saved.literal.analysis, uncovered: [] }, kinds, saved.literal.text) : kinds();
  // one detection without a literal is enough to know records of unknown kind all pass: the rest is not analysed
  const analysis = analyse(detections, tables, true);
  if (analysis.uncovered.length > 0) {
    store?.write(encodePrefilter({ detections: detections.length }));
    return kinds();
  }
  if (!store) return new LiteralPrefilter(analysis, kinds);
  // saved, the text tests are built now rather than on first use: the next run reads them
  const text = { quick: quickAutomaton(analysis, textForms(analysis)).compiled(), exact: exactAutomaton(analysis, textForms(analysis)).compiled() };
  store.write(encodePrefilter({ detections: detections.length, literal: { analysis, text } }));
  return new LiteralPrefilter(analysis, kinds, text);
}

/**
 * The lowercased strings the prefilter searches raw records for, and the detections that have no
 * required literal (any one of them disables the prefilter). Benchmarks grep for the same needles.
 */
export function prefilterNeedles(detections: Detection[]): { needles: string[]; wholeNumbers: Set<string>; uncovered: Detection[] } {
  const { needles, wholeNumbers, uncovered } = analyse(detections, families.normalizer);
  return { needles, wholeNumbers, uncovered };
}

/** the tests' tables (prefilter-tables.ts), and the detections without a required literal */
interface Analysis extends SavedAnalysis {
  uncovered: Detection[];
}

function analyse(detections: Detection[], tables: MappingCatalog, stopAtUncovered = false): Analysis {
  const needles = new Set<string>();
  const numbers = { whole: new Set<string>(), partial: new Set<string>() };
  const literals = new Map<string, number>();
  const indexOf = (literal: string) => literals.get(literal) ?? literals.set(literal, literals.size).size - 1;
  const requirements: Requirement[] = [];
  const uncovered: Detection[] = [];
  const guards = new GuardTable(tables);
  // a join's subsearch reads its own records: they must pass too
  for (const d of detections.flatMap((detection) => [detection, ...joinedSearches(detection)])) {
    const guardOf = (field: string) => guards.of(d.plan.dataset, field);
    const isVerbatim = (field: string) => guardOf(field) !== undefined;
    // numbers are noted as whole field values (`dest_port=7000`: in raw text no digit can touch
    // them) or parts of a value (`process=*3389*`)
    const note = (needle: string | undefined, literal: string, whole: boolean) => {
      if (needle && /^\d+$/.test(needle)) (whole && needle === literal ? numbers.whole : numbers.partial).add(needle);
      return needle;
    };
    // the longest searchable piece of a literal the raw record holds (a 4688 `process` joins two raw fields at a space)
    const inRecord = (literal: string, whole: boolean, field: string, min: number) => {
      let best: { needle: string; piece: string } | undefined;
      for (const piece of guardedPieces(guardOf(field) as LiteralGuard, literal, whole) ?? []) {
        const needle = safeNeedle(piece, min);
        if (needle !== undefined && needle.length > (best?.needle.length ?? 0)) best = { needle, piece };
      }
      return best && note(best.needle, best.piece, whole);
    };
    const quick = requiredLiterals(d.plan.where, isVerbatim, (literal, whole, field) => inRecord(literal, whole, field, MIN_NEEDLE));
    // every searchable piece of a literal the raw record holds (`:\\windows\\system32\\oci.dll`: all three)
    const piecesInRecord = (literal: string, whole: boolean, field: string) =>
      (guardedPieces(guardOf(field) as LiteralGuard, literal, whole) ?? []).flatMap((piece) => safeRuns(piece, MIN_EXACT_LITERAL).map((run) => note(run, piece, whole) as string));
    const requirement = requirementOf(d.plan.where, (leaf) => leafRequirement(leaf, isVerbatim, piecesInRecord, indexOf));
    if (quick && requirement) {
      for (const n of quick) needles.add(n);
      requirements.push(requirement);
    } else {
      uncovered.push(d);
      if (stopAtUncovered) break;
    }
  }
  // a number some rule also matches as part of a longer value (`*3389*`) may touch other digits
  const wholeNumbers = new Set([...numbers.whole].filter((n) => !numbers.partial.has(n)));
  const requirementsOf = requirementsByLiteral(requirements, literals.size).map((indexes) => indexes.map((i) => requirements[i]));
  return {
    needles: withoutSuperstrings([...needles], wholeNumbers),
    wholeNumbers,
    uncovered,
    literals: [...literals.keys()],
    requirementsOf,
  };
}

/**
 * What a record must hold for a leaf (`leafPatterns`) to match: for one of its patterns, every
 * searchable piece (down to MIN_EXACT_LITERAL characters) of every `*`-free run; null when some
 * pattern has none. All pieces, not the longest: `system32` is in nearly every Windows record,
 * `oci.dll` beside it is not.
 */
function leafRequirement(
  leaf: Expr,
  isVerbatim: (field: string) => boolean,
  piecesInRecord: (literal: string, whole: boolean, field: string) => string[],
  indexOf: (literal: string) => number,
): Requirement | null {
  const leafPattern = leafPatterns(leaf);
  if (!leafPattern || !isVerbatim(leafPattern.field)) return null;
  const alternatives = leafPattern.patterns.map((pattern) => {
    const whole = !pattern.includes('*');
    return [...new Set(pattern.split('*').flatMap((run) => piecesInRecord(run.toLowerCase(), whole, leafPattern.field)))].map(indexOf);
  });
  if (alternatives.length === 0 || alternatives.some((pieces) => pieces.length === 0)) return null;
  const any = (literals: number[]): Requirement => ({ kind: 'any', literals, terms: [] });
  if (alternatives.every((pieces) => pieces.length === 1)) return any([...new Set(alternatives.flat())]);
  const terms = alternatives.map((pieces) => (pieces.length === 1 ? any(pieces) : { kind: 'all' as const, literals: [], terms: pieces.map((p) => any([p])) }));
  return terms.length === 1 ? terms[0] : { kind: 'either', literals: [], terms };
}

/** Each dataset field's guard (cim/verbatim.ts), derived once per analysis. */
class GuardTable {
  private readonly guards = new Map<string, LiteralGuard | undefined>();

  constructor(private readonly tables: MappingCatalog) {}

  of(dataset: DatasetName, field: string): LiteralGuard | undefined {
    const key = `${dataset}\0${field}`;
    if (!this.guards.has(key)) this.guards.set(key, literalGuard(dataset, field, this.tables));
    return this.guards.get(key);
  }
}

/**
 * A needle containing another needle can only match where the shorter one does: one search, not
 * two. Not so when the shorter one is a whole number, which matches in fewer places.
 */
function withoutSuperstrings(needles: string[], wholeNumbers: Set<string>): string[] {
  // each needle's substrings looked up in a set: linear in the needles' total length squared per
  // needle, not quadratic in their number (thousands with SigmaHQ's rules)
  const shorter = new Set(needles.filter((m) => !wholeNumbers.has(m)));
  const lengths = [...new Set([...shorter].map((m) => m.length))];
  return needles.filter((n) => !lengths.some((length) => length < n.length && hasSubstringIn(n, length, shorter)));
}

function hasSubstringIn(text: string, length: number, set: Set<string>): boolean {
  for (let start = 0; start + length <= text.length; start++) if (set.has(text.slice(start, start + length))) return true;
  return false;
}

/**
 * The longest run of the literal that is printable ASCII and that no format escapes, if it is at
 * least `min` long (Sigma's windash variants hold en and em dashes: the run beside them still counts).
 */
function safeNeedle(literal: string, min: number): string | undefined {
  const piece = literal.split(UNSAFE).reduce((a, b) => (b.length > a.length ? b : a), '');
  return piece.length >= min ? piece.toLowerCase() : undefined;
}

/** Every such run at least `min` long: the record holds each of them as written. */
function safeRuns(literal: string, min: number): string[] {
  return literal.split(UNSAFE).filter((run) => run.length >= min).map((run) => run.toLowerCase());
}

/**
 * The two tests for one raw encoding, each automaton built on first use: a scan of text files never
 * needs the UTF-16 ones, and one whose records all fail the quick test never needs the exact one.
 */
class EncodedTests {
  private quickNeedles: NeedleAutomaton | undefined;
  private exactNeedles: NeedleAutomaton | undefined;
  /** which literals the record being tested contains, reused from record to record (all 0 between records) */
  private readonly found: Uint8Array;
  /** the literals set in `found`, in the order found */
  private readonly hits: number[] = [];

  constructor(
    private readonly analysis: Analysis,
    private readonly forms: (literal: string) => Needle[],
    /** the automata as an earlier run saved them, restored on first use too (each table is a megabyte of fresh memory) */
    private readonly saved?: TextAutomata,
  ) {
    this.found = new Uint8Array(analysis.literals.length);
  }

  /** finds any one of the quick needles */
  get quick(): NeedleAutomaton {
    this.quickNeedles ??= this.saved ? new NeedleAutomaton(this.saved.quick) : quickAutomaton(this.analysis, this.forms);
    return this.quickNeedles;
  }

  /** whether some detection's requirement is met by the literals `search` finds */
  exact(search: (needles: NeedleAutomaton, found: Uint8Array, hits: number[]) => void): boolean {
    this.exactNeedles ??= this.saved ? new NeedleAutomaton(this.saved.exact) : exactAutomaton(this.analysis, this.forms);
    const { found, hits } = this;
    hits.length = 0;
    search(this.exactNeedles, found, hits);
    // a record holds few of the thousands of literals: only those found are looked at, and only
    // the requirements naming one of them are evaluated
    const { requirementsOf } = this.analysis;
    let met = false;
    for (let i = 0; i < hits.length && !met; i++) met = requirementsOf[hits[i]].some((r) => isMet(r, found));
    for (const literal of hits) found[literal] = 0;
    return met;
  }
}

/** the quick test's automaton: any one of the needles */
function quickAutomaton(analysis: Analysis, forms: (literal: string) => Needle[]): NeedleAutomaton {
  return new NeedleAutomaton(analysis.needles.flatMap(forms));
}

/** the exact test's automaton: every literal, each form flagged with its literal's index */
function exactAutomaton(analysis: Analysis, forms: (literal: string) => Needle[]): NeedleAutomaton {
  return new NeedleAutomaton(analysis.literals.flatMap((literal, flag) => forms(literal).map((form) => ({ ...form, flag }))));
}

/** A whole field value in text (a port) never touches another digit: `7000` must not match a timestamp. */
function textForms(analysis: Analysis): (literal: string) => Needle[] {
  return (n) => [{ bytes: Buffer.from(n, 'latin1'), digitBounded: analysis.wholeNumbers.has(n) }];
}

function textTests(analysis: Analysis, built?: TextAutomata): EncodedTests {
  return new EncodedTests(analysis, textForms(analysis), built);
}

/** The quick test finds any needle in one pass; the few records it passes get the exact test. */
class LiteralPrefilter implements RecordPrefilter {
  private readonly text: EncodedTests;
  private readonly utf16: EncodedTests;

  private byKind?: KindPrefilter;

  /**
   * `kinds`: the tests of each record kind, built on the first record whose kind is known;
   * `text`: the text automata as an earlier run saved them
   */
  constructor(
    analysis: Analysis,
    private readonly kinds: () => KindPrefilter,
    text?: TextAutomata,
  ) {
    this.text = textTests(analysis, text);
    // In EVTX record data text is UTF-16LE (each ASCII letter followed by NUL) and numbers are binary.
    this.utf16 = new EncodedTests(analysis, (n) => [Buffer.from(n, 'utf16le'), ...binaryForms(n)].map((bytes) => ({ bytes })));
  }

  mayMatchText(text: string): boolean {
    return this.text.quick.matchesText(text) && this.text.exact((needles, found, hits) => needles.foundInText(found, text, hits));
  }

  mayMatchBytes(bytes: Uint8Array, start?: number, end?: number): boolean {
    return this.text.quick.matchesBytes(bytes, start, end) && this.text.exact((needles, found, hits) => needles.foundInBytes(found, bytes, start, end, hits));
  }

  mayMatchUtf16(bytes: Uint8Array, start?: number, end?: number): boolean {
    return this.utf16.quick.matchesBytes(bytes, start, end) && this.utf16.exact((needles, found, hits) => needles.foundInBytes(found, bytes, start, end, hits));
  }

  mayMatchKind(bytes: Uint8Array, start: number, end: number, kind: RecordKind): boolean {
    this.byKind ??= this.kinds();
    return this.byKind.mayMatchBytes(bytes, start, end, kind);
  }
}

function kindKey(kind: RecordKind): string {
  let key = kind.family;
  for (const name in kind.system) key += `\0${name}\0${kind.system[name]}`;
  return key;
}

/** kinds whose tests are kept; a hostile input naming more event codes has the rest recomputed */
const MAX_KINDS = 1024;

/**
 * With a detection that has no required literal: records of unknown kind all pass; a record of
 * known kind gets the tests of the detections of its kind (none: it fails; one without a literal:
 * it passes). Kinds with the same detections share one test.
 */
class KindPrefilter implements RecordPrefilter {
  readonly usesKind = true;
  private readonly byKind = new Map<string, EncodedTests | boolean>();
  private readonly byOneField = new Map<string, Map<string, Map<string, EncodedTests | boolean>>>();
  private oneFieldKinds = 0;
  private readonly byDetections = new Map<string, EncodedTests | boolean>();
  private readonly indexOf: Map<Detection, number>;
  private readonly kinds: KindIndex<Detection>;

  constructor(
    detections: Detection[],
    private readonly tables: MappingCatalog & KindCatalog,
  ) {
    this.indexOf = new Map(detections.map((d, i) => [d, i]));
    this.kinds = new KindIndex(detections, tables);
  }

  mayMatchText(): boolean {
    return true;
  }

  mayMatchUtf16(): boolean {
    return true;
  }

  mayMatchKind(bytes: Uint8Array, start: number, end: number, kind: RecordKind): boolean {
    return this.mayMatchBytes(bytes, start, end, kind);
  }

  mayMatchBytes(bytes: Uint8Array, start?: number, end?: number, kind?: RecordKind): boolean {
    if (kind === undefined) return true;
    const test = this.testOf(kind);
    if (typeof test === 'boolean') return test;
    return test.quick.matchesBytes(bytes, start, end) && test.exact((needles, found, hits) => needles.foundInBytes(found, bytes, start, end, hits));
  }

  /**
   * The test of a record whose <System> has one field (a JSON line's `EventID`), by family, field
   * name and value: looked up on every such line, so without building a key string for each.
   */
  private testOf(record: RecordKind): EncodedTests | boolean {
    let name: string | undefined;
    let fields = 0;
    for (const n in record.system) if (fields++ === 0) name = n;
    if (fields !== 1) return this.testOfAnyKind(record);
    const value = record.system[name as string];
    const byName = this.byOneField.get(record.family) ?? new Map<string, Map<string, EncodedTests | boolean>>();
    const byValue = byName.get(name as string) ?? new Map<string, EncodedTests | boolean>();
    const seen = byValue.get(value);
    if (seen !== undefined) return seen;
    const test = this.testOfAnyKind(record);
    if (this.oneFieldKinds++ < MAX_KINDS) {
      byValue.set(value, test);
      byName.set(name as string, byValue);
      this.byOneField.set(record.family, byName);
    }
    return test;
  }

  private testOfAnyKind(record: RecordKind): EncodedTests | boolean {
    const seen = this.byKind.get(kindKey(record));
    if (seen !== undefined) return seen;
    const kind = this.kinds.canonical(record);
    const key = kindKey(kind);
    const known = this.byKind.get(key);
    if (known !== undefined) {
      if (this.byKind.size < MAX_KINDS) this.byKind.set(kindKey(record), known);
      return known;
    }
    const subset = this.kinds.detectionsOf(kind);
    const subsetKey = subset.map((d) => this.indexOf.get(d)).join(',');
    let test = this.byDetections.get(subsetKey);
    if (test === undefined) {
      const analysis = subset.length === 0 ? undefined : analyse(subset, this.tables, true);
      test = analysis === undefined ? false : analysis.uncovered.length > 0 || textTests(analysis);
      if (this.byDetections.size < MAX_KINDS) this.byDetections.set(subsetKey, test);
    }
    if (this.byKind.size < MAX_KINDS) this.byKind.set(key, test);
    return test;
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
