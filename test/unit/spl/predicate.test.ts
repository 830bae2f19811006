import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compilePredicate, LoweredFields } from '../../../src/engine/predicate.js';
import { fieldsOf } from '../../../src/rules/plan-fields.js';
import { compileFilter } from '../../../src/rules/spl/compile.js';
import type { FieldValue } from '../../../src/cim/model.js';

function holds(spl: string, fields: Record<string, FieldValue>): boolean {
  const { expr, errors } = compileFilter(spl);
  assert.deepEqual(errors, []);
  return compilePredicate(expr!)(fields);
}

describe('compilePredicate: SPL semantics', () => {
  test('an absent field never equals, not even `*`; `f=*` means the field exists', () => {
    assert.equal(holds('user=*', {}), false);
    assert.equal(holds('user=*', { user: '' }), true);
    assert.equal(holds('user=bob', {}), false);
  });

  test('`f!=v` needs the field; `NOT f=v` is true when it is absent', () => {
    assert.equal(holds('user!=bob', {}), false);
    assert.equal(holds('NOT user=bob', {}), true);
    assert.equal(holds('user!=bob', { user: 'alice' }), true);
    assert.equal(holds('user!=bob', { user: 'BOB' }), false);
    assert.equal(holds('NOT user=bob', { user: 'Bob' }), false);
  });

  test('the tuning idiom `NOT user IN (...)` keeps rows without a user', () => {
    const filter = String.raw`search NOT user IN ("CORP\\svc_build", "svc_ci")`;
    assert.equal(holds(filter, {}), true);
    assert.equal(holds(filter, { user: 'corp\\SVC_BUILD' }), false);
    assert.equal(holds(filter, { user: 'corp\\alice' }), true);
  });

  test('IN is OR over its patterns', () => {
    assert.equal(holds('q IN ("*.ngrok.io", "*.ngrok.com")', { q: 'x.NGROK.com' }), true);
    assert.equal(holds('q IN ("*.ngrok.io", "*.ngrok.com")', { q: 'ngrok.com' }), false);
  });

  test('IN mixing exact values and wildcards matches either kind, case-insensitively', () => {
    const spl = 'p IN ("NGROK.EXE", "cloudflared", "*\\\\chisel*")';
    assert.equal(holds(spl, { p: 'ngrok.exe' }), true);
    assert.equal(holds(spl, { p: 'CloudFlared' }), true);
    assert.equal(holds(spl, { p: 'c:\\tools\\CHISEL_1.9.exe' }), true);
    assert.equal(holds(spl, { p: 'ngrok.exe.bak' }), false);
    assert.equal(holds(spl, { p: ['svchost.exe', 'ngrok.exe'] }), true);
  });

  test('predicates sharing one LoweredFields see the same answers as predicates evaluated alone', () => {
    const fields = { process_name: 'NGROK.exe', process: 'ngrok TCP 3389', user: 'Bob' };
    const shared = new LoweredFields(fields);
    for (const spl of ['process_name=ngrok.exe', 'process="*tcp 3389*"', 'user!=bob', 'NOT dest=*', 'user IN (alice, BOB)']) {
      const { expr } = compileFilter(spl);
      const predicate = compilePredicate(expr!);
      assert.equal(predicate(fields, shared), predicate(fields), spl);
    }
  });

  test('a multivalue field matches when any value matches; != when none does', () => {
    const answers = { answer: ['1.2.3.4', 'tunnel.us.ngrok.com'] };
    assert.equal(holds('answer=*ngrok*', answers), true);
    assert.equal(holds('answer=5.6.7.8', answers), false);
    assert.equal(holds('answer!=1.2.3.4', answers), false);
    assert.equal(holds('answer!=5.6.7.8', answers), true);
    assert.equal(holds('answer IN (x, "1.2.3.4")', answers), true);
  });

  test('an empty multivalue is an absent field', () => {
    assert.equal(holds('answer=*', { answer: [] }), false);
    assert.equal(holds('answer!=x', { answer: [] }), false);
    assert.equal(holds('NOT answer=x', { answer: [] }), true);
  });

  test('values compare as strings, case-insensitively', () => {
    assert.equal(holds('dest_port=7844', { dest_port: '7844' }), true);
    assert.equal(holds('dest_port=07844', { dest_port: '7844' }), false);
    assert.equal(holds('process_name=NGROK.EXE', { process_name: 'ngrok.exe' }), true);
  });

  test('AND, OR, true and a field read by several terms', () => {
    const cmd = (process: string) => ({ process });
    const d = 'process="*tunnel*" ((process="*run*" process="*token*") OR (process="*--url*" process="*localhost*"))';
    assert.equal(holds(d, cmd('cloudflared.exe tunnel run --token eyJ')), true);
    assert.equal(holds(d, cmd('cloudflared tunnel --url http://localhost:8080')), true);
    assert.equal(holds(d, cmd('cloudflared tunnel run')), false);
    assert.equal(holds(d, cmd('cloudflared --url http://localhost:8080')), false);
    assert.equal(compilePredicate({ kind: 'true' })({}), true);
  });
});

describe('fieldsOf', () => {
  test('lists each field once, in order of first use', () => {
    const { expr } = compileFilter('a=1 (b=2 OR NOT c IN (x)) a!=3 d=*');
    assert.deepEqual(fieldsOf(expr!), ['a', 'b', 'c', 'd']);
    assert.deepEqual(fieldsOf({ kind: 'true' }), []);
  });
});
