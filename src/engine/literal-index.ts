import type { Expr } from '../rules/search-plan.js';
import { leafPatterns } from '../rules/spl/literals.js';
import { NeedleAutomaton, type CompiledNeedles } from './automaton.js';
import type { LoweredFields } from './predicate.js';
import { isMetFrom, requirementOf, requirementsByLiteral, type Requirement } from './requirement.js';

/**
 * Rules indexed by the literals their matches must contain, field by field: an event is tested
 * only against the rules whose requirement (requirement.ts) the literals found in its lowercased
 * values meet, plus the rules that have none. Exact: a rule is left out only when some value it
 * needs holds none of the literals one of which that value must contain, so it cannot match.
 *
 * Unlike the byte prefilter this reads parsed values: a literal counts only in the field it comes
 * from, derived fields count as well as verbatim ones, and no format escapes anything.
 */
export class LiteralIndex<T> {
  /** rules without a requirement: tested on every event */
  private readonly unwitnessed: T[] = [];
  private readonly witnessed: T[] = [];
  private readonly requirements: Requirement[] = [];
  /** the items' positions in the list indexed, for saved() (undefined when restored: it is not saved again) */
  private readonly positions?: { witnessed: number[]; unwitnessed: number[] };
  /** per literal, the indexes of the requirements naming it */
  private readonly byLiteral: number[][];
  /** per field some requirement reads: an automaton of its literals */
  private readonly fields: Array<{ field: string; needles: NeedleAutomaton }> = [];
  /** per literal, whether the event being tested holds it, and the list of those it holds (both emptied after each event) */
  private readonly found: Uint8Array;
  private readonly hits: number[] = [];
  /**
   * The requirements as evaluated: an `any` naming a literal counted as always present is met, so
   * the rest name only searched literals and the list of those an event holds is exactly what
   * `found` flags (isMet's set lookups rely on it).
   */
  private readonly tests: Array<Requirement | undefined> = [];
  /** the literals counted as always present (`found` before any event) */
  private readonly present: Uint8Array;
  /** per requirement, the number of the event it was last evaluated for: once per event */
  private readonly evaluatedAt: Uint32Array;
  private events = 0;

  /** `saved`: what `saved()` gave for the same items, restored instead of derived */
  constructor(items: readonly T[], whereOf: (item: T) => Expr, saved?: SavedLiteralIndex) {
    if (saved) {
      for (const i of saved.witnessed) this.witnessed.push(items[i]);
      for (const i of saved.unwitnessed) this.unwitnessed.push(items[i]);
      this.requirements = saved.requirements;
      this.byLiteral = saved.byLiteral;
      this.found = new Uint8Array(saved.literals);
      for (const flag of saved.present) this.found[flag] = 1;
      for (const { field, needles } of saved.fields) this.fields.push({ field, needles: restoredAutomaton(needles) });
      this.evaluatedAt = new Uint32Array(this.requirements.length);
      this.present = this.found.slice();
      return;
    }
    const byField = new Map<string, Map<string, number>>();
    let count = 0;
    const indexOf = (field: string, literal: string) => {
      let literals = byField.get(field);
      if (!literals) byField.set(field, (literals = new Map()));
      let index = literals.get(literal);
      if (index === undefined) literals.set(literal, (index = count++));
      return index;
    };
    const positions: { witnessed: number[]; unwitnessed: number[] } = { witnessed: [], unwitnessed: [] };
    items.forEach((item, position) => {
      const requirement = requirementOf(whereOf(item), (leaf) => {
        const known = leafLiterals(leaf);
        return known && known.literals.map((literal) => indexOf(known.field, literal));
      });
      if (requirement) {
        this.witnessed.push(item);
        this.requirements.push(requirement);
        positions.witnessed.push(position);
      } else {
        this.unwitnessed.push(item);
        positions.unwitnessed.push(position);
      }
    });
    this.positions = positions;
    this.byLiteral = requirementsByLiteral(this.requirements, count);
    this.found = new Uint8Array(count);
    // Only literals that trigger a requirement are searched; the others count as always present
    // (a requirement is then met more often, never less): the vendor or `EventID` 1 that every
    // rule of a bucket names are not searched in every event, nor the 1,000 command-line literals
    // that come second in some rule's AND.
    for (const [field, literals] of byField) {
      const needles = [...literals].flatMap(([literal, flag]) => (this.byLiteral[flag].length > 0 ? [{ bytes: Buffer.from(searchedPart(literal), 'latin1'), flag }] : []));
      for (const flag of literals.values()) if (this.byLiteral[flag].length === 0) this.found[flag] = 1;
      if (needles.length > 0) this.fields.push({ field, needles: new NeedleAutomaton(needles, FIELD_CLASS_ROWS_FROM) });
    }
    this.evaluatedAt = new Uint32Array(this.requirements.length);
    this.present = this.found.slice();
  }

  /** this index as data (items by their position in the list indexed); undefined for one that was restored */
  saved(): SavedLiteralIndex | undefined {
    if (!this.positions) return undefined;
    const present: number[] = [];
    this.found.forEach((flag, literal) => flag === 1 && present.push(literal));
    const fields = this.fields.map(({ field, needles }) => ({ field, needles: needles.compiled() }));
    return { ...this.positions, requirements: this.requirements, byLiteral: this.byLiteral, literals: this.found.length, present, fields };
  }

  /** how many rules have a requirement, and how many are tested on every event */
  get sizes(): { witnessed: number; unwitnessed: number } {
    return { witnessed: this.witnessed.length, unwitnessed: this.unwitnessed.length };
  }

  /** the rules that can match an event with these lowercased values: the unwitnessed ones, then those whose requirement is met */
  candidates(lowered: LoweredFields): T[] {
    const out = this.unwitnessed.slice();
    if (this.requirements.length === 0) return out;
    const { found, hits } = this;
    for (const { field, needles } of this.fields) {
      const values = lowered.get(field);
      if (values !== undefined) for (const value of values) needles.foundInText(found, value, hits);
    }
    const event = ++this.events;
    for (const literal of hits) {
      for (const r of this.byLiteral[literal]) {
        if (this.evaluatedAt[r] === event) continue;
        this.evaluatedAt[r] = event;
        // made on a requirement's first evaluation: most of a bucket's never are
        const test = (this.tests[r] ??= withPresentMet(this.requirements[r], this.present));
        if (isMetFrom(test, found, hits)) out.push(this.witnessed[r]);
      }
    }
    for (const literal of hits) found[literal] = 0;
    hits.length = 0;
    return out;
  }
}

const MET: Requirement = { kind: 'all', literals: [], terms: [] };

/** the requirement with each `any` naming a literal flagged in `present` met (MET); unchanged parts shared */
function withPresentMet(requirement: Requirement, present: Uint8Array): Requirement {
  if (requirement.kind === 'any') return requirement.literals.some((literal) => present[literal] === 1) ? MET : requirement;
  const terms = requirement.terms.map((term) => withPresentMet(term, present));
  return terms.every((term, i) => term === requirement.terms[i]) ? requirement : { ...requirement, terms };
}

/**
 * A LiteralIndex as data, kept between runs (candidate-index.ts); items by their position in the
 * list indexed. `A`: how an automaton is given (index-tables.ts writes each as a number).
 */
export interface SavedLiteralIndex<A = CompiledNeedles> {
  witnessed: number[];
  unwitnessed: number[];
  requirements: Requirement[];
  byLiteral: number[][];
  literals: number;
  /** the literals no requirement triggers on, always counted as present */
  present: number[];
  fields: Array<{ field: string; needles: A }>;
}

/**
 * Saved automata restored, each once: buckets that search one field for the same literals share one
 * (an automaton keeps no state between calls, and one thread makes one call at a time).
 */
const restored = new WeakMap<CompiledNeedles, NeedleAutomaton>();

function restoredAutomaton(needles: CompiledNeedles): NeedleAutomaton {
  let automaton = restored.get(needles);
  if (!automaton) restored.set(needles, (automaton = new NeedleAutomaton(needles)));
  return automaton;
}

/**
 * Each literal is searched by a few of its characters: they are in every value the literal is,
 * and the automata stay small (SigmaHQ's command-line literals, searched whole, make a table of
 * 76k states, 76 MB; by six characters each, about 15k).
 */
const MAX_NEEDLE = 6;

/**
 * An index's automata search a few short field values per event, but each is restored (its table
 * faulted into fresh memory) on a bucket's first event: rows of one entry per byte class from a
 * few hundred states make SigmaHQ's process-creation tables ~4x smaller (~5 MB less to fault in).
 */
const FIELD_CLASS_ROWS_FROM = 256;

/** What nearly every Windows path holds (literals are lowercased): a window of them says little about a literal. */
const COMMON_PARTS = ['\\', '/', ':', '.', 'system32', 'syswow64', 'windows', 'program files', 'programdata', 'microsoft', 'appdata', 'users'];

/**
 * The MAX_NEEDLE characters of a literal that are searched: the last window with the fewest
 * characters inside a COMMON_PARTS occurrence (the first such window was worse: `imphas` of every
 * `IMPHASH=`). Any window is exact (a value holding the literal holds each of its windows); this
 * one is rare. The last six characters, taken before, were `er.dll` for `\ttdwriter.dll`,
 * `\chrome_frame_helper.dll` and `\policymanager.dll` alike, and `tem32\` for every `\system32\`
 * path: on the OTRF set with SigmaHQ's five categories, 147k rule evaluations for 23k events, 50 of
 * them matches (61k now).
 */
export function searchedPart(literal: string): string {
  if (literal.length <= MAX_NEEDLE) return literal;
  const common = new Uint8Array(literal.length);
  for (const part of COMMON_PARTS) {
    for (let at = literal.indexOf(part); at >= 0; at = literal.indexOf(part, at + 1)) common.fill(1, at, at + part.length);
  }
  let best = 0;
  let bestScore = Infinity;
  let score = 0;
  for (let i = 0; i < literal.length; i++) {
    score += common[i];
    if (i >= MAX_NEEDLE) score -= common[i - MAX_NEEDLE];
    if (i >= MAX_NEEDLE - 1 && score <= bestScore) {
      bestScore = score;
      best = i - MAX_NEEDLE + 1;
    }
  }
  return literal.slice(best, best + MAX_NEEDLE);
}

/** Splits a pattern into runs every value it matches contains: at `*`, and at characters the automaton cannot fold. */
const PLAIN_RUN_BREAK = /[*\u0080-\uffff]/;
/**
 * RE2 folds case by Unicode: under `i`, `s` also matches U+017F (long s), whose toLowerCase() is
 * itself, so no literal holding an `s` is sure to be in the lowercased value.
 */
const FOLDED_RUN_BREAK = /[*sS\u0080-\uffff]/;

/**
 * The field a leaf reads and the literals (lowercased ASCII) one of which every value it matches
 * holds once lowercased: per pattern (`leafPatterns`), its longest run of plain characters. Null
 * when some pattern has none.
 */
export function leafLiterals(leaf: Expr): { field: string; literals: string[] } | null {
  const known = leafPatterns(leaf);
  if (!known) return null;
  const folded = leaf.kind === 'test' && leaf.test.op === 'regex' && (leaf.test.flags.includes('i') || leaf.test.pattern.includes('(?'));
  const literals: string[] = [];
  for (const pattern of known.patterns) {
    const longest = pattern.split(folded ? FOLDED_RUN_BREAK : PLAIN_RUN_BREAK).reduce((a, b) => (b.length > a.length ? b : a), '');
    if (longest === '') return null;
    literals.push(longest.toLowerCase());
  }
  return { field: known.field, literals: [...new Set(literals)] };
}
