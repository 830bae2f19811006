import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NeedleAutomaton } from '../../../src/engine/automaton.js';

const codes = (s: string) => Array.from(s, (c) => c.charCodeAt(0));

test('the automaton finds any needle case-insensitively, like lower-casing and includes()', () => {
  let seed = 7;
  const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
  const alphabet = 'abAB-.\\ ';
  const word = (len: number) => Array.from({ length: len }, () => alphabet[random(alphabet.length)]).join('');
  for (let round = 0; round < 300; round++) {
    const needles = Array.from({ length: 1 + random(6) }, () => word(1 + random(5)));
    const automaton = new NeedleAutomaton(needles.map(codes));
    for (let i = 0; i < 20; i++) {
      const text = word(random(40));
      const expected = needles.some((n) => text.toLowerCase().includes(n.toLowerCase()));
      assert.equal(automaton.matchesText(text), expected, `needles ${JSON.stringify(needles)} text ${JSON.stringify(text)}`);
      assert.equal(automaton.matchesBytes(Buffer.from(text, 'latin1')), expected);
    }
  }
});

test('overlapping needles found through failure links (abcd inside xabcabcd)', () => {
  const automaton = new NeedleAutomaton([codes('abcd'), codes('bcx')]);
  assert.equal(automaton.matchesText('xabcabcd'), true);
  assert.equal(automaton.matchesText('xabcabc'), false);
  assert.equal(automaton.matchesText('ABCX'), true);
});

test('characters above 255 never extend a match', () => {
  const automaton = new NeedleAutomaton([codes('ngrok')]);
  assert.equal(automaton.matchesText('ngr\u0100ok'), false);
  assert.equal(automaton.matchesText('\u0100NGROK\u0101'), true);
});

test('an empty needle list matches nothing', () => {
  assert.equal(new NeedleAutomaton([]).matchesText('anything'), false);
});
