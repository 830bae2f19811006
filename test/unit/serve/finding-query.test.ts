import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findingQuery } from '../../../src/serve/api.js';

test('the findings API takes the evidence pivot: a source, and a record or line in it, as the store filters them', () => {
  assert.deepEqual(findingQuery({ evidence_source: 'Security.evtx', evidence_record: '4242' }, 'me').evidence, { source: 'Security.evtx', record: 4242 });
  assert.deepEqual(findingQuery({ evidence_source: 'examples/windows-sysmon.xml', evidence_line: '16' }, 'me').evidence, { source: 'examples/windows-sysmon.xml', line: 16 });
  assert.deepEqual(findingQuery({ evidence_source: 'hec:main' }, 'me').evidence, { source: 'hec:main' });
  assert.equal(findingQuery({}, 'me').evidence, undefined);
});

test('an evidence record or line without its source, or one that is no whole number, is refused', () => {
  assert.throws(() => findingQuery({ evidence_record: '1' }, 'me'), /need evidence_source/);
  assert.throws(() => findingQuery({ evidence_source: 'a.evtx', evidence_line: 'x' }, 'me'), /evidence_line must be a whole number/);
});
