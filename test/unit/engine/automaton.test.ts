import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NeedleAutomaton } from '../../../src/engine/automaton.js';

const codes = (s: string) => ({ bytes: Array.from(s, (c) => c.charCodeAt(0)) });

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

test('a digit-bounded needle matches a whole number, not digits inside a longer one', () => {
  const automaton = new NeedleAutomaton([{ bytes: Buffer.from('7000'), digitBounded: true }, codes('ngrok')]);
  assert.equal(automaton.matchesText('"DestinationPort":"7000"'), true);
  assert.equal(automaton.matchesText('<Data Name="DestinationPort">7000</Data>'), true);
  assert.equal(automaton.matchesText('7000'), true);
  assert.equal(automaton.matchesText('SystemTime="2022-05-11T18:10:20.470005000Z"'), false);
  assert.equal(automaton.matchesText('17000 and 70001'), false);
  assert.equal(automaton.matchesText('17000 then 7000,'), true);
  assert.equal(automaton.matchesBytes(Buffer.from('x170000 ngrok')), true);
  const bytes = Buffer.from('170007000');
  assert.equal(automaton.matchesBytes(bytes, 5, 9), true, 'the range edges count as boundaries');
  assert.equal(automaton.matchesBytes(bytes, 4, 9), false);
});

test('digit-bounded and plain needles agree with a naive check on random digit strings', () => {
  let seed = 11;
  const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
  for (let round = 0; round < 200; round++) {
    const bounded = String(random(1000));
    const plain = `x${random(10)}`;
    const automaton = new NeedleAutomaton([{ bytes: Buffer.from(bounded), digitBounded: true }, codes(plain)]);
    for (let i = 0; i < 20; i++) {
      const text = Array.from({ length: random(30) }, () => '0123456789x,'[random(12)]).join('');
      const numbers = text.split(/[^0-9]+/);
      const expected = numbers.includes(bounded) || text.includes(plain);
      assert.equal(automaton.matchesText(text), expected, `${bounded} / ${plain} in ${text}`);
      assert.equal(automaton.matchesBytes(Buffer.from(text)), expected);
    }
  }
});

test('foundInBytes flags every needle present, as a naive check per needle would, in long and short ranges, and lists each flag it sets once in `hits`', () => {
  let seed = 5;
  const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
  const alphabet = 'abAB1234 ';
  const word = (len: number) => Array.from({ length: len }, () => alphabet[random(alphabet.length)]).join('');
  for (let round = 0; round < 300; round++) {
    const needles = Array.from({ length: 1 + random(6) }, () => ({ text: word(1 + random(4)), bounded: random(3) === 0 }));
    const automaton = new NeedleAutomaton(needles.map((n) => ({ ...codes(n.text), digitBounded: n.bounded && /^\d+$/.test(n.text) })));
    for (let i = 0; i < 10; i++) {
      const text = word(random(120));
      const found = new Uint8Array(needles.length);
      const hits: number[] = [];
      automaton.foundInBytes(found, Buffer.from(text, 'latin1'), undefined, undefined, hits);
      assert.deepEqual([...hits].sort((a, b) => a - b), [...found.keys()].filter((flag) => found[flag] === 1), 'hits: the flags set, each once');
      needles.forEach((n, flag) => {
        const bounded = n.bounded && /^\d+$/.test(n.text);
        const present = bounded ? text.split(/[^0-9]+/).includes(n.text) : text.toLowerCase().includes(n.text.toLowerCase());
        assert.equal(found[flag], present ? 1 : 0, `${JSON.stringify(n)} in ${JSON.stringify(text)}`);
      });
      assert.equal(automaton.matchesBytes(Buffer.from(text, 'latin1')), found.includes(1), `any of ${JSON.stringify(needles)} in ${JSON.stringify(text)}`);
    }
  }
});

test('forms of one literal share a flag', () => {
  const automaton = new NeedleAutomaton([{ ...codes('ngrok'), flag: 1 }, { ...codes('n\0g\0r\0o\0k\0'), flag: 1 }, { ...codes('chisel'), flag: 0 }]);
  const found = new Uint8Array(2);
  automaton.foundInBytes(found, Buffer.from('x n\0g\0r\0o\0k\0 y'));
  assert.deepEqual([...found], [0, 1]);
});

test('long ranges, scanned in several chains at once, find a needle at every position and only inside [start, end)', () => {
  const needles = ['tunnel', '7000', 'q'.repeat(9)];
  const automaton = new NeedleAutomaton([codes(needles[0]), { bytes: Buffer.from(needles[1]), digitBounded: true }, codes(needles[2])]);
  const filler = 'abcdefgh 1234 '.repeat(40).slice(0, 400);
  for (const [flag, needle] of needles.entries()) {
    for (let at = 0; at + needle.length <= filler.length; at += 7) {
      const text = filler.slice(0, at) + ' ' + needle.toUpperCase() + ' ' + filler.slice(at);
      const bytes = Buffer.from(text, 'latin1');
      const first = at, last = at + needle.length + 2;
      assert.equal(automaton.matchesBytes(bytes), true, `${needle} at ${at}`);
      assert.equal(automaton.matchesBytes(bytes, 0, first), false, `nothing before ${at}`);
      assert.equal(automaton.matchesBytes(bytes, last), false, `nothing after ${at}`);
      assert.equal(automaton.matchesBytes(bytes, first + 2, bytes.length), false, `${needle} cut at its start`);
      const found = new Uint8Array(needles.length);
      automaton.foundInBytes(found, bytes);
      assert.deepEqual([...found], needles.map((_, f) => (f === flag ? 1 : 0)), `${needle} at ${at}`);
    }
  }
  const touching = Buffer.from(`${filler}17000 70001 ${filler}`, 'latin1');
  assert.equal(automaton.matchesBytes(touching), false, 'a digit-bounded needle touched by digits is no match in a long range');
});

test('an input larger than the kernel memory grows it, and scans before and after still agree', () => {
  const automaton = new NeedleAutomaton([codes('ngrok'), { bytes: Buffer.from('7000'), digitBounded: true }]);
  assert.equal(automaton.matchesText('x ngrok y'), true);
  const big = Buffer.alloc(3 * 1024 * 1024, 'a');
  assert.equal(automaton.matchesBytes(big), false);
  big.write('NGROK', big.length - 5, 'latin1');
  assert.equal(automaton.matchesBytes(big), true, 'a needle in the last bytes of a 3 MiB input');
  big.write('1:7000', 0, 'latin1');
  const found = new Uint8Array(2);
  automaton.foundInBytes(found, big, 0, 64);
  assert.deepEqual([...found], [0, 1], 'the digit-bounded needle is checked against the grown memory');
  assert.equal(automaton.matchesText('x ngro k y'), false);
  assert.equal(automaton.matchesText('x NGROK'), true);
});

test('an automaton restored from compiled() finds exactly what the built one finds', () => {
  let seed = 11;
  const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
  const alphabet = 'abAB12-.\\ ';
  const word = (len: number) => Array.from({ length: len }, () => alphabet[random(alphabet.length)]).join('');
  for (let round = 0; round < 200; round++) {
    const needles = Array.from({ length: 1 + random(8) }, (_, i) => ({ ...codes(word(1 + random(5))), digitBounded: random(3) === 0, flag: random(2) === 0 ? i : undefined }));
    const built = new NeedleAutomaton(needles);
    const restored = new NeedleAutomaton(built.compiled());
    for (let i = 0; i < 20; i++) {
      const text = word(random(60));
      const flags = (automaton: NeedleAutomaton) => {
        const found = new Uint8Array(needles.length);
        const hits: number[] = [];
        automaton.foundInText(found, text, hits);
        return [...found, ...hits].join();
      };
      assert.equal(restored.matchesText(text), built.matchesText(text), `needles ${JSON.stringify(needles)} text ${JSON.stringify(text)}`);
      assert.equal(flags(restored), flags(built));
    }
  }
});

test('a large automaton (rows of byte classes) flags exactly the needles a naive check finds, built and restored, in short and long ranges', () => {
  let seed = 13;
  const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
  // both cases, digits, punctuation and Latin-1 letters (no class of their own unless a needle holds them)
  const alphabet = 'abcdefghijklmnopABCDEFGHIJ0123456789-.\\ "\u00e9\u00c9';
  const word = (len: number) => Array.from({ length: len }, () => alphabet[random(alphabet.length)]).join('');
  const needles = Array.from({ length: 900 }, () => ({ text: word(3 + random(5)), bounded: random(8) === 0 }));
  const built = new NeedleAutomaton(needles.map((n) => ({ ...codes(n.text), digitBounded: n.bounded && /^\d+$/.test(n.text) })));
  const compiled = built.compiled();
  assert.ok(compiled.classes !== undefined && compiled.endings.length >= 2048, `class rows (${compiled.endings.length} states)`);
  const restored = new NeedleAutomaton(compiled);
  // the text draws on more bytes than the needles: the byte no needle holds must fall in class 0
  const textAlphabet = `${alphabet}xyzXYZ!#\u00ff`;
  // the automaton folds ASCII letters only
  const asciiLower = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
  for (let i = 0; i < 60; i++) {
    const text = Array.from({ length: random(i % 2 === 0 ? 40 : 2000) }, () => textAlphabet[random(textAlphabet.length)]).join('');
    const expected = needles.map((n) => {
      const bounded = n.bounded && /^\d+$/.test(n.text);
      return (bounded ? text.split(/[^0-9]+/).includes(n.text) : asciiLower(text).includes(asciiLower(n.text))) ? 1 : 0;
    });
    for (const automaton of [built, restored]) {
      const found = new Uint8Array(needles.length);
      automaton.foundInBytes(found, Buffer.from(text, 'latin1'));
      assert.deepEqual([...found], expected, `text of ${text.length} bytes`);
      assert.equal(automaton.matchesBytes(Buffer.from(text, 'latin1')), expected.includes(1));
    }
  }
});

test('matchesEachRange answers for each range what matchesBytes answers for it alone: needles across range edges, between ranges and digit bounds at the edges count as there', () => {
  let seed = 23;
  const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
  const alphabet = 'abAB07x-';
  for (let round = 0; round < 300; round++) {
    const needles = Array.from({ length: 1 + random(5) }, () => Array.from({ length: 1 + random(4) }, () => alphabet[random(alphabet.length)]).join(''));
    const automaton = new NeedleAutomaton(needles.map((n, i) => ({ bytes: Buffer.from(n, 'latin1'), digitBounded: i === 0 && /^\d+$/.test(n) })));
    const bytes = Buffer.from(Array.from({ length: 50 + random(400) }, () => alphabet[random(alphabet.length)]).join(''), 'latin1');
    // ascending ranges with gaps (some empty, some touching) over the whole buffer
    const ranges: number[] = [];
    for (let at = random(3); at < bytes.length; ) {
      const end = Math.min(bytes.length, at + random(60));
      ranges.push(at, end);
      at = end + random(4);
    }
    const passed = new Uint8Array(ranges.length / 2).fill(7);
    automaton.matchesEachRange(bytes, ranges, passed);
    for (let i = 0; i < ranges.length; i += 2) {
      const alone = automaton.matchesBytes(bytes, ranges[i], ranges[i + 1]);
      assert.equal(passed[i / 2], alone ? 1 : 0, `needles ${JSON.stringify(needles)}, range ${ranges[i]}-${ranges[i + 1]} of ${JSON.stringify(bytes.toString('latin1'))}`);
    }
  }
});

test('matchesEachRange over no ranges answers nothing and throws nothing', () => {
  const passed = new Uint8Array(0);
  new NeedleAutomaton([codes('ngrok')]).matchesEachRange(Buffer.from('ngrok'), [], passed);
  assert.equal(passed.length, 0);
});
