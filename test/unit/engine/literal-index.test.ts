import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { LiteralIndex, searchedPart } from '../../../src/engine/literal-index.js';
import { compilePredicate, LoweredFields } from '../../../src/engine/predicate.js';
import type { Expr, GlobToken } from '../../../src/rules/search-plan.js';

const eq = (field: string, pattern: string): Expr => ({ kind: 'compare', field, op: '=', pattern });
const glob = (field: string, ...tokens: GlobToken[]): Expr => ({ kind: 'test', field, test: { op: 'glob', tokens, cased: false } });
const star = { wildcard: '*' } as const;

function candidateNames(rules: Array<{ name: string; where: Expr }>, fields: Record<string, string | string[]>): string[] {
  return new LiteralIndex(rules, (r) => r.where).candidates(new LoweredFields(fields)).map((r) => r.name).sort();
}

test('a rule is a candidate only when its literal is in the field it reads, not in another field', () => {
  const rules = [{ name: 'cmd', where: glob('Image', star, '\\cmd.exe') }];
  assert.deepEqual(candidateNames(rules, { Image: 'C:\\Windows\\CMD.EXE' }), ['cmd']);
  assert.deepEqual(candidateNames(rules, { Image: 'C:\\x.exe', CommandLine: 'cmd.exe /c \\cmd.exe' }), []);
});

test('an AND is filed under its rarest term (not the EventID every rule names); an OR is met by either branch; a NOT or a keyword is tested on every event', () => {
  const rules = [
    { name: 'and', where: { kind: 'and', terms: [eq('EventID', '1'), glob('Image', star, 'ngrok', star), glob('CommandLine', star, ' tcp ', star)] } as Expr },
    { name: 'and2', where: { kind: 'and', terms: [eq('EventID', '1'), glob('Image', star, 'chisel', star)] } as Expr },
    { name: 'or', where: { kind: 'or', terms: [eq('Image', '*\\plink.exe'), glob('CommandLine', star, ' -R ', star)] } as Expr },
    { name: 'not', where: { kind: 'not', term: eq('Image', '*\\explorer.exe') } as Expr },
    { name: 'keyword', where: { kind: 'test', field: null, test: { op: 'glob', tokens: [star, 'evil', star], cased: false } } as Expr },
  ];
  assert.deepEqual(candidateNames(rules, { EventID: '1', Image: 'c:\\ngrok.exe', CommandLine: 'ngrok tcp 3389' }), ['and', 'keyword', 'not']);
  assert.deepEqual(candidateNames(rules, { EventID: '1', Image: 'c:\\x.exe', CommandLine: 'x -r host' }), ['keyword', 'not', 'or']);
  assert.deepEqual(candidateNames(rules, { EventID: '1', Image: 'c:\\x.exe', CommandLine: 'x' }), ['keyword', 'not']);
});

test('a rule filed under its rare term is a candidate whichever of its long unsearched list the event holds', () => {
  // the 40 command-line values are not searched (the image's one literal triggers the rule): they
  // count as held, so the rule is met however few of the searched literals the event holds
  const values: Expr = { kind: 'in', field: 'CommandLine', patterns: Array.from({ length: 40 }, (_, i) => `* -opt${i} *`) };
  const rules = [{ name: 'rare', where: { kind: 'and', terms: [glob('Image', star, '\\tunnelx.exe'), values] } as Expr }];
  assert.deepEqual(candidateNames(rules, { Image: 'C:\\tunnelx.exe', CommandLine: 'tunnelx -opt7 y' }), ['rare']);
  assert.deepEqual(candidateNames(rules, { Image: 'C:\\other.exe', CommandLine: 'tunnelx -opt7 y' }), []);
});

test('what an event holds does not carry over to the next: a rule met through one event\'s literals is not a candidate for another without them', () => {
  // the command-line list is the rule's rarest term (the image is named by fifty other rules, which
  // are filed under it): both are searched
  const values: Expr = { kind: 'in', field: 'CommandLine', patterns: Array.from({ length: 40 }, (_, i) => `* -opt${i} *`) };
  const rules = [
    { name: 'both', where: { kind: 'and', terms: [glob('Image', star, '\\common.exe'), values] } as Expr },
    ...Array.from({ length: 50 }, (_, i) => ({ name: `image${i}`, where: glob('Image', star, '\\common.exe') })),
  ];
  const index = new LiteralIndex(rules, (r) => r.where);
  const names = (fields: Record<string, string>) => index.candidates(new LoweredFields(fields)).map((r) => r.name).filter((n) => n === 'both');
  assert.deepEqual(names({ Image: 'C:\\common.exe', CommandLine: 'x -opt7 y' }), ['both']);
  assert.deepEqual(names({ Image: 'C:\\other.exe', CommandLine: 'x -opt8 y' }), []);
  assert.deepEqual(names({ Image: 'C:\\common.exe', CommandLine: 'x -opt8 y' }), ['both']);
});

test('a literal is searched by its rarest six characters, not the extension or the system32 every path shares', () => {
  assert.equal(searchedPart('\\ttdwriter.dll'), 'writer');
  assert.equal(searchedPart('\\chrome_frame_helper.dll'), 'helper');
  // an IMPHASH's own digits, not the 'imphash=' every Hashes value starts with
  assert.equal(searchedPart('imphash=330768a4f172e10acb6287b87289d83b'), '89d83b');
  // the space after `windows` is what the spoofed path has and real ones lack
  assert.equal(searchedPart(':\\windows \\system32\\'), ' \\syst');
  assert.equal(searchedPart('abc'), 'abc');
  for (const literal of ['\\ttdrecord.dll', ' -encodedcommand ', 'c:\\windows\\system32\\', 'x.y']) {
    const part = searchedPart(literal);
    assert.ok(literal.includes(part) && part.length === Math.min(6, literal.length), `${literal} -> ${part}`);
  }
  // a DLL that only shares the ending `er.dll` no longer makes the rule a candidate
  const rules = [{ name: 'ttd', where: glob('ImageLoaded', star, '\\ttdwriter.dll') }];
  assert.deepEqual(candidateNames(rules, { ImageLoaded: 'C:\\Windows\\System32\\PolicyManager.dll' }), []);
  assert.deepEqual(candidateNames(rules, { ImageLoaded: 'C:\\Tools\\TTDWriter.dll' }), ['ttd']);
});

test('each value of a multivalue field is searched on its own, and events are independent of the one before', () => {
  const rules = [{ name: 'ab', where: eq('Tag', '*ab*') }];
  const index = new LiteralIndex(rules, (r) => r.where);
  assert.deepEqual(index.candidates(new LoweredFields({ Tag: ['xa', 'b'] })), []);
  assert.deepEqual(index.candidates(new LoweredFields({ Tag: ['x', 'AB'] })).length, 1);
  assert.deepEqual(index.candidates(new LoweredFields({ Tag: ['x'] })), []);
});

test('a case-insensitive regular expression stays a candidate where RE2 folds a long s (U+017F) onto s', () => {
  const rules = [{ name: 're', where: { kind: 'test', field: 'CommandLine', test: { op: 'regex', pattern: 'pass-word', flags: 'i' } } as Expr }];
  const event = { CommandLine: 'PAſſ-WORD' };
  assert.equal(compilePredicate(rules[0].where)(event), true, 'RE2 matches the long s');
  assert.deepEqual(candidateNames(rules, event), ['re']);
});

/** Random rules over three fields and random events: every rule that matches an event is among its candidates. */
test('property: the rules matching an event are always among its candidates', () => {
  const fields = ['Image', 'CommandLine', 'User'] as const;
  const text = fc.array(fc.constantFrom('a', 'b', 'A', 'é', 'ſ', '\\', ' '), { minLength: 0, maxLength: 5 }).map((a) => a.join(''));
  const pattern = fc.array(fc.oneof(text, fc.constant('*')), { minLength: 1, maxLength: 3 }).map((a) => a.join(''));
  const leaf: fc.Arbitrary<Expr> = fc.oneof(
    fc.record({ kind: fc.constant('compare' as const), field: fc.constantFrom(...fields), op: fc.constantFrom('=' as const, '!=' as const), pattern }),
    fc.record({ kind: fc.constant('in' as const), field: fc.constantFrom(...fields), patterns: fc.array(pattern, { minLength: 1, maxLength: 3 }) }),
    fc.record({ field: fc.constantFrom(...fields), tokens: fc.array(fc.oneof(text, fc.constantFrom({ wildcard: '*' as const }, { wildcard: '?' as const })), { minLength: 1, maxLength: 4 }), cased: fc.boolean() })
      .map(({ field, tokens, cased }): Expr => ({ kind: 'test', field, test: { op: 'glob', tokens, cased } })),
    fc.record({ field: fc.constantFrom(...fields), run: fc.stringMatching(/^[abs]{1,4}$/), flags: fc.constantFrom('', 'i') })
      .map(({ field, run, flags }): Expr => ({ kind: 'test', field, test: { op: 'regex', pattern: run, flags } })),
  );
  const expr: fc.Arbitrary<Expr> = fc.letrec<{ e: Expr }>((tie) => ({
    e: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      tie('e').map((term): Expr => ({ kind: 'not', term })),
      fc.record({ kind: fc.constantFrom('and' as const, 'or' as const), terms: fc.array(tie('e'), { minLength: 1, maxLength: 3 }) }),
    ),
  })).e;
  const value = fc.oneof(text, fc.array(text, { minLength: 1, maxLength: 2 }));
  const event = fc.record({ Image: value, CommandLine: value, User: value }, { requiredKeys: [] });
  fc.assert(
    fc.property(fc.array(expr, { minLength: 1, maxLength: 6 }), fc.array(event, { minLength: 1, maxLength: 4 }), (wheres, events) => {
      const rules = wheres.map((where, i) => ({ i, where, matches: compilePredicate(where) }));
      const index = new LiteralIndex(rules, (r) => r.where);
      for (const fieldsOf of events) {
        const fields = fieldsOf as Record<string, string | string[]>;
        const candidates = new Set(index.candidates(new LoweredFields(fields)).map((r) => r.i));
        for (const r of rules) if (r.matches(fields)) assert.ok(candidates.has(r.i), `rule ${r.i} matches ${JSON.stringify(fields)} but is no candidate: ${JSON.stringify(r.where)}`);
      }
    }),
    { numRuns: 500 },
  );
});
