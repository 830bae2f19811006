import type { Expr } from '../rules/search-plan.js';

/**
 * Which literals an event must contain for a rule to match it: one of `literals` (kind `any`),
 * what each of `terms` requires (`all`), or what one of them requires (`either`). Literals are
 * named by index into a table the caller keeps. One shape for all kinds keeps evaluating it
 * monomorphic.
 */
export interface Requirement {
  kind: 'any' | 'all' | 'either';
  literals: number[];
  terms: Requirement[];
}

/**
 * A rule's requirement: every conjunct of an AND is kept (a rule needing both ` client ` and ` r:`
 * is not met by ` client ` alone), each OR branch must have one. `leafLiterals` gives a leaf's
 * literals (one of which every value it matches contains) or its own requirement, or null when none is known. Undefined
 * when the whole expression has no requirement (a `not`, an `eval`, a leaf without literals).
 */
export function requirementOf(expr: Expr, leafLiterals: (leaf: Expr) => number[] | Requirement | null): Requirement | undefined {
  switch (expr.kind) {
    case 'compare':
    case 'in':
    case 'test': {
      const literals = leafLiterals(expr);
      if (literals === null) return undefined;
      return Array.isArray(literals) ? { kind: 'any', literals, terms: [] } : literals;
    }
    case 'and': {
      const terms = expr.terms.map((t) => requirementOf(t, leafLiterals)).filter((r) => r !== undefined);
      return terms.length === 0 ? undefined : terms.length === 1 ? terms[0] : { kind: 'all', literals: [], terms };
    }
    case 'or': {
      const terms = expr.terms.map((t) => requirementOf(t, leafLiterals));
      if (terms.length === 0 || !terms.every((r) => r !== undefined)) return undefined;
      return eitherOf(terms);
    }
    case 'not':
    case 'eval':
    case 'true':
      return undefined;
  }
}

/**
 * What one of `terms` requires, with their `any` terms (and those of nested `either`s) merged into
 * one: an OR of 420 DLL names is one `any` checked by set lookup (isMet), not 420 terms tried in turn.
 */
export function eitherOf(terms: readonly Requirement[]): Requirement {
  const flat = terms.flatMap((t) => (t.kind === 'either' ? t.terms : [t]));
  const anys = flat.filter((t) => t.kind === 'any');
  const merged: Requirement[] = anys.length > 1 ? [{ kind: 'any', literals: [...new Set(anys.flatMap((t) => t.literals))], terms: [] }] : anys;
  const all = [...merged, ...flat.filter((t) => t.kind !== 'any')];
  return all.length === 1 ? all[0] : { kind: 'either', literals: [], terms: all };
}

/** every literal a requirement names (with repeats) */
export function literalsOf(requirement: Requirement): number[] {
  return [...requirement.literals, ...requirement.terms.flatMap(literalsOf)];
}

/**
 * Whether the literals flagged 1 in `found` meet the requirement. `held`, when given, lists exactly
 * the literals flagged: an `any` of many literals then looks up the few held in its set rather than
 * look through all of its own (a record holds a dozen of the thousands of literals; an image-load
 * rule names hundreds of DLLs). Loops, not some/every: no closure per call on this per-event path.
 */
export function isMet(requirement: Requirement, found: Uint8Array, held?: readonly number[]): boolean {
  switch (requirement.kind) {
    case 'any': {
      const literals = requirement.literals;
      if (held !== undefined && literals.length >= SET_FROM && held.length * 4 < literals.length) {
        const set = literalSetOf(requirement);
        for (let i = 0; i < held.length; i++) if (set.has(held[i])) return true;
        return false;
      }
      for (let i = 0; i < literals.length; i++) if (found[literals[i]] === 1) return true;
      return false;
    }
    case 'all': {
      const terms = requirement.terms;
      for (let i = 0; i < terms.length; i++) if (!isMet(terms[i], found, held)) return false;
      return true;
    }
    case 'either': {
      const terms = requirement.terms;
      for (let i = 0; i < terms.length; i++) if (isMet(terms[i], found, held)) return true;
      return false;
    }
  }
}

/** the size from which an `any` is checked by set (isMet) */
const SET_FROM = 32;
const literalSets = new WeakMap<Requirement, ReadonlySet<number>>();

function literalSetOf(requirement: Requirement): ReadonlySet<number> {
  let set = literalSets.get(requirement);
  if (set === undefined) literalSets.set(requirement, (set = new Set(requirement.literals)));
  return set;
}

/**
 * isMet for a requirement reached through a literal `found` holds that triggers it
 * (requirementsByLiteral): an `any` is then met already (its triggers are its literals), without
 * looking through them (SigmaHQ's side-loading rule has ~420).
 */
export function isMetFrom(requirement: Requirement, found: Uint8Array, held?: readonly number[]): boolean {
  return requirement.kind === 'any' || isMet(requirement, found, held);
}

/**
 * Per literal, the indexes of the requirements it triggers: a record holding few literals needs
 * only those requirements evaluated. A requirement is filed under its `triggers`, not under all
 * its literals: literals every rule of a log source shares (`EventID` 1, the vendor) would have
 * every requirement evaluated for every event.
 */
export function requirementsByLiteral(requirements: readonly Requirement[], literalCount: number): number[][] {
  const rules = new Uint32Array(literalCount);
  for (const r of requirements) for (const literal of new Set(literalsOf(r))) rules[literal]++;
  const byLiteral = Array.from({ length: literalCount }, (): number[] => []);
  requirements.forEach((r, index) => {
    for (const literal of new Set(triggers(r, rules))) byLiteral[literal].push(index);
  });
  return byLiteral;
}

/**
 * Literals one of which is present wherever the requirement is met: all of an `any`'s, those of
 * every branch of an `either`, and those of one term of an `all`, the term whose literals the
 * fewest requirements name (`rules`, per literal).
 */
function triggers(requirement: Requirement, rules: Uint32Array): number[] {
  switch (requirement.kind) {
    case 'any':
      return requirement.literals;
    case 'either':
      return requirement.terms.flatMap((t) => triggers(t, rules));
    case 'all': {
      let best: number[] = [];
      let bestCost = Infinity;
      for (const term of requirement.terms) {
        const literals = triggers(term, rules);
        const cost = literals.reduce((sum, literal) => sum + rules[literal], 0);
        if (cost < bestCost) [best, bestCost] = [literals, cost];
      }
      return best;
    }
  }
}
