import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { decodeEntry, encodeEntry, type EntryBytes } from '../../../src/rules/content-entry.js';
import { asciiJson } from '../../../src/rules/ascii-json.js';
import { correlationsBeside, loadContent, type Content } from '../../../src/rules/content.js';
import { contentDir } from '../../helpers/paths.js';

const detections = path.join(contentDir, 'detections');
const fresh = await loadContent([detections], [correlationsBeside(detections)]);
const plain = (content: Content) => JSON.parse(JSON.stringify(content)) as unknown;
const unread = (target: object, key: string) => typeof Object.getOwnPropertyDescriptor(target, key)?.get === 'function';

test('an entry decodes to the content it was encoded from', () => {
  const decoded = decodeEntry<Content>(Buffer.from(encodeEntry(fresh), 'latin1'), 'test');
  assert.ok(decoded);
  assert.deepEqual(plain(decoded), plain(fresh));
});

test('encoding a decoded entry again (a scan handing it to threads) copies the parts still unread without parsing them', () => {
  const decoded = decodeEntry<Content>(Buffer.from(encodeEntry(fresh), 'latin1'), 'test')!;
  const [first, second] = decoded.detections;
  assert.ok(second.plan.where && second.description !== undefined, 'the second detection read');
  const again = encodeEntry(decoded);
  assert.ok(unread(first.plan, 'where') && unread(first, 'description'), 'the first still unread after encoding');
  const redecoded = decodeEntry<Content>(Buffer.from(again, 'latin1'), 'test');
  assert.ok(redecoded);
  assert.deepEqual(plain(redecoded), plain(fresh));
});

test('bytes that are not a whole entry are refused: cut short, grown, or not ASCII', () => {
  const bytes = Buffer.from(encodeEntry(fresh), 'latin1');
  assert.equal(decodeEntry(bytes.subarray(0, bytes.length - 1), 'test'), undefined);
  assert.equal(decodeEntry(Buffer.concat([bytes, Buffer.from(' ')]), 'test'), undefined);
  const foreign = Buffer.from(bytes);
  foreign[foreign.indexOf('"name"') + 9] = 0xe9;
  assert.equal(decodeEntry(foreign, 'test'), undefined);
  assert.equal(decodeEntry(Buffer.from('{"detections":[]}'), 'test'), undefined);
});

/** an entry's text split into its head (parsed) and its section */
function split(text: string): { head: Record<string, unknown> & { shared: unknown[]; detections: Array<Record<string, unknown>> }; section: string } {
  const newline = text.indexOf('\n');
  const end = newline + 1 + Number(text.slice(0, newline));
  return { head: JSON.parse(text.slice(newline + 1, end)), section: text.slice(end) };
}

test('head values most detections share (aggregates, BY lists, output settings) are kept once and decode to one frozen value', () => {
  const text = encodeEntry(fresh);
  const { head } = split(text);
  const aggregates = JSON.stringify(fresh.detections[0].plan.aggregates);
  assert.ok(fresh.detections.filter((d) => JSON.stringify(d.plan.aggregates) === aggregates).length > 1, 'the fixture has detections alike');
  assert.equal(head.shared.filter((v) => JSON.stringify(v) === aggregates).length, 1, 'the aggregate list is kept once');
  assert.ok(head.detections.every((d) => typeof d.output === 'number'), 'every detection refers to its output settings');
  const decoded = decodeEntry<Content>(Buffer.from(text, 'latin1'), 'test')!;
  const alike = decoded.detections.filter((d) => JSON.stringify(d.plan.aggregates) === aggregates);
  assert.ok(alike.every((d) => d.plan.aggregates === alike[0].plan.aggregates), 'one value for all of them');
  assert.ok(Object.isFrozen(alike[0].plan.aggregates) && Object.isFrozen(alike[0].plan.aggregates[0]) && Object.isFrozen(alike[0].plan.by) && Object.isFrozen(alike[0].output));
  assert.throws(() => (alike[0].plan.by as unknown[]).push({}), TypeError, 'a shared value cannot be changed through one detection');
  assert.deepEqual(plain(decoded), plain(fresh));
});

test('an entry whose head refers to a shared value it does not hold is refused', () => {
  const { head, section } = split(encodeEntry(fresh));
  for (const refer of [(d: Record<string, unknown>) => (d.output = head.shared.length), (d: Record<string, unknown>) => ((d.plan as Record<string, unknown>).by = -1)]) {
    const changed = structuredClone(head);
    refer(changed.detections[0]);
    const text = asciiJson(changed);
    assert.equal(decodeEntry(Buffer.from(`${text.length}\n${text}${section}`, 'latin1'), 'test'), undefined);
  }
  const text = asciiJson(head);
  assert.ok(decodeEntry(Buffer.from(`${text.length}\n${text}${section}`, 'latin1'), 'test'), 'the same entry unchanged is read');
});

test('an entry is decoded from bytes read a part at a time: the head at load, each part on first use', () => {
  const text = encodeEntry(fresh);
  const bytes = Buffer.from(text, 'latin1');
  const reads: Array<[number, number]> = [];
  const parts: EntryBytes = { length: bytes.length, slice: (from, to) => (reads.push([from, to]), bytes.subarray(from, to)) };
  const decoded = decodeEntry<Content>(parts, 'test')!;
  assert.equal(Math.max(...reads.map(([, to]) => to)), bytes.length - split(text).section.length, 'nothing past the head was read at load');
  const before = reads.length;
  assert.deepEqual(decoded.detections[1].plan.where, fresh.detections[1].plan.where);
  assert.equal(reads.length, before + 1, "one read for the detection's search");
  assert.deepEqual(plain(decoded), plain(fresh));
});
