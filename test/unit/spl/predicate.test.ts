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

describe('compilePredicate: CIDR values in search terms', () => {
  test('`f=a.b.c.d/n` matches IPv4 addresses in the network, the first and last of a /8 included', () => {
    assert.equal(holds('dest=10.0.0.0/8', { dest: '10.0.0.0' }), true);
    assert.equal(holds('dest=10.0.0.0/8', { dest: '10.255.255.255' }), true);
    assert.equal(holds('dest=10.0.0.0/8', { dest: '10.10.10.5' }), true);
    assert.equal(holds('dest=10.0.0.0/8', { dest: '9.255.255.255' }), false);
    assert.equal(holds('dest=10.0.0.0/8', { dest: '11.0.0.0' }), false);
    // 172.16.0.0/12 covers 172.31.x.x, text the pattern does not hold
    assert.equal(holds('dest=172.16.0.0/12', { dest: '172.31.255.255' }), true);
    assert.equal(holds('dest=172.16.0.0/12', { dest: '172.32.0.0' }), false);
  });

  test('a /32 is one address, a /0 every IPv4 address', () => {
    assert.equal(holds('dest=192.0.2.7/32', { dest: '192.0.2.7' }), true);
    assert.equal(holds('dest=192.0.2.7/32', { dest: '192.0.2.8' }), false);
    assert.equal(holds('dest=0.0.0.0/0', { dest: '203.0.113.9' }), true);
    assert.equal(holds('dest=0.0.0.0/0', { dest: '::1' }), false);
  });

  test('IPv6 networks match IPv6 addresses in any spelling', () => {
    assert.equal(holds('dest="fe80::/10"', { dest: 'FE80::1ff:fe23:4567:890a' }), true);
    assert.equal(holds('dest="fe80::/10"', { dest: 'febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff' }), true);
    assert.equal(holds('dest="fe80::/10"', { dest: 'fec0::1' }), false);
    assert.equal(holds('dest="::1/128"', { dest: '0:0:0:0:0:0:0:1' }), true);
    assert.equal(holds('dest="::/0"', { dest: '10.1.2.3' }), false);
  });

  test('a value that is no IP address is not in the network, not even the network\'s own text', () => {
    assert.equal(holds('dest=10.0.0.0/8', { dest: 'host-10.example' }), false);
    assert.equal(holds('dest=10.0.0.0/8', { dest: '10.0.0.0/8' }), false);
    assert.equal(holds('dest=10.0.0.0/8', { dest: '10.1.2' }), false);
    assert.equal(holds('dest=10.0.0.0/8', {}), false);
    // a bare address and a value that is no network still compare as text
    assert.equal(holds('dest=10.0.0.1', { dest: '10.0.0.1' }), true);
    assert.equal(holds('path="a/b"', { path: 'A/B' }), true);
    assert.equal(holds('dest="10.0.0.0/33"', { dest: '10.0.0.0/33' }), true);
  });

  test('`f!=net` needs the field with no value inside; `NOT f=net` is true when it is absent', () => {
    assert.equal(holds('dest!=10.0.0.0/8', { dest: '8.8.8.8' }), true);
    assert.equal(holds('dest!=10.0.0.0/8', { dest: '10.9.9.9' }), false);
    assert.equal(holds('dest!=10.0.0.0/8', { dest: 'not-an-ip' }), true);
    assert.equal(holds('dest!=10.0.0.0/8', {}), false);
    assert.equal(holds('dest!=10.0.0.0/8', { dest: ['8.8.8.8', '10.1.1.1'] }), false);
    assert.equal(holds('NOT dest=10.0.0.0/8', {}), true);
    assert.equal(holds('NOT dest=10.0.0.0/8', { dest: '10.1.1.1' }), false);
    assert.equal(holds('NOT dest=10.0.0.0/8', { dest: '8.8.8.8' }), true);
  });

  test('an IN list mixing networks and text matches an address inside one or a value equal to another', () => {
    const spl = 'NOT dest IN (127.0.0.1, 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 0:0:0:0:0:0:0:1, "*.corp")';
    assert.equal(holds(spl, { dest: '10.10.10.5' }), false);
    assert.equal(holds(spl, { dest: '192.168.1.20' }), false);
    assert.equal(holds(spl, { dest: '127.0.0.1' }), false);
    assert.equal(holds(spl, { dest: '0:0:0:0:0:0:0:1' }), false);
    assert.equal(holds(spl, { dest: 'files.CORP' }), false);
    assert.equal(holds(spl, { dest: '203.0.113.9' }), true);
    // 127.0.0.1 is text, not a network: another spelling of it is a different value
    assert.equal(holds(spl, { dest: '::1' }), true);
    assert.equal(holds('dest IN (10.0.0.0/8)', { dest: '10.2.3.4' }), true);
  });

  test('in `where`, `=` compares a CIDR value as text, as Splunk\'s where does', () => {
    assert.equal(holds('where dest="10.0.0.0/8"', { dest: '10.1.2.3' }), false);
    assert.equal(holds('where dest="10.0.0.0/8"', { dest: '10.0.0.0/8' }), true);
    assert.equal(holds('where cidrmatch("fe80::/10", dest)', { dest: 'fe80::1' }), true);
  });
});

describe('fieldsOf', () => {
  test('lists each field once, in order of first use', () => {
    const { expr } = compileFilter('a=1 (b=2 OR NOT c IN (x)) a!=3 d=*');
    assert.deepEqual(fieldsOf(expr!), ['a', 'b', 'c', 'd']);
    assert.deepEqual(fieldsOf({ kind: 'true' }), []);
  });
});
