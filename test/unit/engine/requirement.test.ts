import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { eitherOf, isMet, isMetFrom, requirementsByLiteral, type Requirement } from '../../../src/engine/requirement.js';

/** enough literals for any-requirements above isMet's set size (32) with few held */
const LITERALS = 160;

const requirement: fc.Arbitrary<Requirement> = fc.letrec<{ r: Requirement }>((tie) => ({
  r: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.uniqueArray(fc.nat(LITERALS - 1), { minLength: 1, maxLength: 80, size: 'max' }).map((literals): Requirement => ({ kind: 'any', literals, terms: [] })),
    fc.array(tie('r'), { minLength: 1, maxLength: 3 }).map((terms): Requirement => ({ kind: 'all', literals: [], terms })),
    fc.array(tie('r'), { minLength: 1, maxLength: 3 }).map((terms): Requirement => ({ kind: 'either', literals: [], terms })),
  ),
})).r;

test('every met requirement is filed under a literal the record holds, and isMetFrom agrees with isMet on the requirements filed under its literals', () => {
  fc.assert(
    fc.property(fc.array(requirement, { minLength: 1, maxLength: 8 }), fc.uniqueArray(fc.nat(LITERALS - 1), { maxLength: 40 }), (requirements, held) => {
      const found = new Uint8Array(LITERALS);
      for (const literal of held) found[literal] = 1;
      const byLiteral = requirementsByLiteral(requirements, LITERALS);
      const reached = new Set(held.flatMap((literal) => byLiteral[literal]));
      requirements.forEach((r, i) => {
        if (isMet(r, found)) assert.ok(reached.has(i), `met requirement ${i} is filed under none of the literals held`);
      });
      for (const i of reached) assert.equal(isMetFrom(requirements[i], found), isMet(requirements[i], found), `requirement ${i}: ${JSON.stringify(requirements[i])}`);
      // told which literals are held, large any-requirements look them up in a set: the same answers
      for (const r of requirements) assert.equal(isMet(r, found, held), isMet(r, found), JSON.stringify(r));
    }),
    { numRuns: 3000 },
  );
});

test('the either of requirements, their anys merged, is met exactly when one of them is', () => {
  fc.assert(
    fc.property(fc.array(requirement, { minLength: 1, maxLength: 6 }), fc.uniqueArray(fc.nat(LITERALS - 1), { maxLength: 40 }), (terms, held) => {
      const found = new Uint8Array(LITERALS);
      for (const literal of held) found[literal] = 1;
      const either = eitherOf(terms);
      assert.equal(isMet(either, found, held), terms.some((t) => isMet(t, found)), JSON.stringify(terms));
    }),
    { numRuns: 3000 },
  );
  const one = (literal: number): Requirement => ({ kind: 'any', literals: [literal], terms: [] });
  assert.deepEqual(eitherOf([one(1), one(2), { kind: 'either', literals: [], terms: [one(3), one(1)] }]), { kind: 'any', literals: [1, 2, 3], terms: [] });
});

test('an any-requirement reached through one of its literals is met without looking through the others', () => {
  const found = new Uint8Array(3);
  found[2] = 1;
  assert.equal(isMetFrom({ kind: 'any', literals: [0, 1, 2], terms: [] }, found), true);
  assert.equal(isMetFrom({ kind: 'all', literals: [], terms: [{ kind: 'any', literals: [0], terms: [] }, { kind: 'any', literals: [2], terms: [] }] }, found), false);
});
