/**
 * The prefilter's analysis of detections (prefilter.ts): which literals a record must hold for
 * each to match (its requirement), the needles of the quick test, and the detections that have no
 * required literal at all.
 */
import { guardedPieces, literalGuard, type LiteralGuard, type MappingCatalog } from '../cim/verbatim.js';
import type { DatasetName } from '../cim/model.js';
import { joinedSearches, type Detection } from '../rules/detection.js';
import type { Expr } from '../rules/search-plan.js';
import { leafPatterns, requiredLiterals } from '../rules/spl/literals.js';
import type { AnyMapping } from '../cim/mapping.js';
import type { SavedAnalysis } from './prefilter-tables.js';
import { vetoesOf, type Veto } from './prefilter-vetoes.js';
import { eitherOf, requirementOf, requirementsByLiteral, type Requirement } from './requirement.js';

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

/** the tests' tables (prefilter-tables.ts), and the detections without a required literal */
export interface Analysis extends SavedAnalysis {
  uncovered: Detection[];
}

/**
 * `vetoTables`: the tables of the one family the tests are for (prefilter-by-kind.ts), from which
 * each requirement's vetoes are derived (prefilter-vetoes.ts); none without them.
 */
export function analyse(detections: Detection[], tables: MappingCatalog, stopAtUncovered = false, vetoTables?: readonly AnyMapping[]): Analysis {
  const needles = new Set<string>();
  const numbers = { whole: new Set<string>(), partial: new Set<string>() };
  const literals = new Map<string, number>();
  const indexOf = (literal: string) => literals.get(literal) ?? literals.set(literal, literals.size).size - 1;
  const requirements: Requirement[] = [];
  const vetoes = new Map<Requirement, Veto[]>();
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
      const vetoed = vetoTables && vetoesOf(d.plan.where, d.plan.dataset, vetoTables);
      if (vetoed && vetoed.length > 0) vetoes.set(requirement, vetoed);
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
    vetoes,
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
  return eitherOf(terms);
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
