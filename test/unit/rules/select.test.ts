import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectDetections } from '../../../src/rules/select.js';
import { detectionWith } from '../../helpers/detections.js';

const a = detectionWith({}, { name: 'Windows Ngrok Reverse Proxy Usage', id: 'e2549f2c-0aef-408a-b0c1-e0f270623436', mitreAttackIds: ['T1572', 'T1090'] });
const b = detectionWith({}, { name: 'Windows Devtunnels Execution', id: 'b2630bb6-97df-405a-88b5-de6bb2c12cc3', mitreAttackIds: ['T1090.002'], analyticStories: ['Other Story'] });
const all = [a, b];

test('detections are selected by name (case-insensitive) or id', () => {
  assert.deepEqual(selectDetections(all, { detections: ['windows ngrok reverse proxy usage'] }).selected, [a]);
  assert.deepEqual(selectDetections(all, { detections: ['B2630BB6-97DF-405A-88B5-DE6BB2C12CC3'] }).selected, [b]);
});

test('an unknown detection name is a problem that suggests close names', () => {
  const { problems } = selectDetections(all, { detections: ['Windows Ngrok Reverse Proxy Usag'] });
  assert.equal(problems.length, 1);
  assert.match(problems[0], /unknown detection 'Windows Ngrok Reverse Proxy Usag' \(did you mean: Windows Ngrok Reverse Proxy Usage/);
});

test('--mitre T1090 selects the technique and its sub-techniques; --story narrows by story', () => {
  assert.deepEqual(selectDetections(all, { mitre: 'T1090' }).selected, [a, b]);
  assert.deepEqual(selectDetections(all, { mitre: 't1090.002' }).selected, [b]);
  assert.deepEqual(selectDetections(all, { story: 'other story' }).selected, [b]);
  assert.equal(selectDetections(all, { mitre: 'T1219' }).problems.length, 1);
});
