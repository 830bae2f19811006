import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileLoweredPattern, compilePattern } from '../../../src/engine/matcher.js';

const matches = (pattern: string, value: string): boolean => compilePattern(pattern)(value);

describe('compilePattern: `*` is the only wildcard', () => {
  test('no wildcard is whole-value equality', () => {
    assert.equal(matches('ngrok.exe', 'ngrok.exe'), true);
    assert.equal(matches('ngrok.exe', 'xngrok.exe'), false);
    assert.equal(matches('ngrok.exe', 'ngrok.exe2'), false);
  });

  test('leading, trailing and surrounding wildcards', () => {
    assert.equal(matches('*.ngrok.io', 'abc.ngrok.io'), true);
    assert.equal(matches('*.ngrok.io', 'abc.ngrok.io.evil'), false);
    assert.equal(matches('ngrok*', 'ngrok.exe'), true);
    assert.equal(matches('ngrok*', 'my-ngrok'), false);
    assert.equal(matches('*http*', 'ngrok http 80'), true);
    assert.equal(matches('*http*', 'ngrok tcp 22'), false);
  });

  test('middle and multiple wildcards, in order', () => {
    assert.equal(matches('ngrok.*.tunnel.com', 'ngrok.eu.tunnel.com'), true);
    assert.equal(matches('ngrok.*.tunnel.com', 'ngrok.tunnel.com'), false);
    assert.equal(matches('*run*token*', 'cloudflared tunnel run --token x'), true);
    assert.equal(matches('*token*run*', 'cloudflared tunnel run --token x'), false);
    assert.equal(matches('a**b', 'ab'), true);
  });

  test('prefix and suffix may not overlap', () => {
    assert.equal(matches('ab*ba', 'aba'), false);
    assert.equal(matches('ab*ba', 'abba'), true);
    assert.equal(matches('a*a*a', 'aa'), false);
    assert.equal(matches('a*a*a', 'aaa'), true);
  });

  test('a lone `*` (or `**`) matches every value including the empty one', () => {
    assert.equal(matches('*', ''), true);
    assert.equal(matches('**', 'anything'), true);
  });

  test('the empty pattern matches only the empty value', () => {
    assert.equal(matches('', ''), true);
    assert.equal(matches('', 'x'), false);
  });

  test('nothing but `*` is special: no regex or glob metacharacters', () => {
    assert.equal(matches('a.c', 'abc'), false);
    assert.equal(matches('a?c', 'abc'), false);
    assert.equal(matches('[ab]', 'a'), false);
    assert.equal(matches('[ab]', '[AB]'), true);
    assert.equal(matches('C:\\Temp\\*', 'c:\\temp\\x.dll'), true);
    assert.equal(matches('(a|b)+$', '(A|B)+$'), true);
  });

  test('case-insensitive, ASCII and Unicode', () => {
    assert.equal(matches('NGROK.EXE', 'ngrok.exe'), true);
    assert.equal(matches('*\\APPDATA\\local\\*', 'C:\\Users\\x\\AppData\\Local\\Temp'), true);
    assert.equal(matches('ÄRGER*', 'ärger.txt'), true);
    assert.equal(matches('*ΣΊΣΥΦΟΣ', 'ο Σίσυφος'), true);
  });

  test('compileLoweredPattern expects an already-lowercased value', () => {
    const m = compileLoweredPattern('*NGROK*');
    assert.equal(m('run ngrok now'), true);
    assert.equal(m('RUN NGROK NOW'), false);
  });

  test('a pathological pattern stays fast (no backtracking)', () => {
    const m = compilePattern('*a*a*a*a*a*a*a*a*a*b');
    const value = 'a'.repeat(100_000);
    const start = performance.now();
    for (let k = 0; k < 10; k++) assert.equal(m(value), false);
    assert.ok(performance.now() - start < 1000, 'took too long');
    assert.equal(m(`${value}b`), true);
  });

  test('a pathological pattern whose middle segments fail stays fast', () => {
    const m = compilePattern('*a*a*a*a*a*a*a*a*a*b*');
    const value = 'a'.repeat(100_000);
    const start = performance.now();
    for (let k = 0; k < 10; k++) assert.equal(m(value), false);
    assert.ok(performance.now() - start < 1000, 'took too long');
  });
});
