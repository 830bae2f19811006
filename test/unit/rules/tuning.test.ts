import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isTuningDocument, parseTuning } from '../../../src/rules/tuning.js';
import { by, detectionWith } from '../../helpers/detections.js';

const ngrok = detectionWith({ by: by('user', 'dest'), filterMacro: 'test_detection_filter' });

test('a valid tuning file yields one compiled filter per macro', () => {
  const { tuning, errors } = parseTuning('t.yml', 'test_detection_filter: search NOT user IN ("CORP\\\\svc_build")\n', [ngrok]);
  assert.deepEqual(errors, []);
  assert.equal(tuning.get('test_detection_filter')?.spl, 'search NOT user IN ("CORP\\\\svc_build")');
});

test('unknown macro, bad SPL and unknown column are all reported in one pass, each with line:col', () => {
  const text = [
    'test_detection_filter: search NOT usr="x"',
    'no_such_detection_filter: search user="a"',
    'test_detection_filter2: x',
    'other_filter: search NOT (user="a"',
  ].join('\n');
  const other = detectionWith({ by: by('user'), filterMacro: 'other_filter' }, { id: '00000000-0000-4000-8000-000000000002', name: 'Other' });
  const { tuning, errors } = parseTuning('t.yml', text, [ngrok, other]);
  assert.equal(tuning.size, 0, 'no tuning is applied when any entry is wrong');
  const at = errors.map((e) => `${e.line}:${e.col} ${e.message.split(':')[0]}`);
  assert.ok(errors.some((e) => e.line === 1 && e.col === 35 && /'usr' is not an output column/.test(e.message)), at.join('\n'));
  assert.ok(errors.some((e) => e.line === 2 && e.col === 1 && /not the filter macro of any loaded detection/.test(e.message)), at.join('\n'));
  assert.ok(errors.some((e) => e.line === 3 && /not the filter macro/.test(e.message)), at.join('\n'));
  assert.ok(errors.some((e) => e.line === 4 && /other_filter: .*\)/.test(e.message)), at.join('\n'));
});

test('a non-string filter is an error at its value', () => {
  const { errors } = parseTuning('t.yml', 'test_detection_filter:\n  - a\n', [ngrok]);
  assert.equal(errors.length, 1);
  assert.equal(errors[0].line, 2);
  assert.match(errors[0].message, /expected an SPL filter string/);
});

test('tuning documents are recognised by their *_filter keys', () => {
  assert.equal(isTuningDocument({ a_filter: 'search x=1', b_filter: 'x=2' }), true);
  assert.equal(isTuningDocument({ name: 'x', search: '| tstats' }), false);
  assert.equal(isTuningDocument([]), false);
});
