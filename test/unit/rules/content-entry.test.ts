import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { decodeEntry, encodeEntry } from '../../../src/rules/content-entry.js';
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
