import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EVENT_DATA, EVENT_END, EVENT_START, UNSCANNED_TAIL, XmlMarkers } from '../../../src/sources/framing/xml-markers.js';

/** the markers of buf[0, end) found one position at a time: [position, kind, line breaks before] */
function reference(buf: Buffer, end: number): number[][] {
  const found: number[][] = [];
  let breaks = 0;
  for (let p = 0; p < end; p++) {
    if (buf.toString('latin1', p, p + 8) === '</Event>') found.push([p, EVENT_END, breaks]);
    else if (buf.toString('latin1', p, p + 6) === '<Event' && [0x20, 0x09, 0x0a, 0x0d, 0x3e, 0x2f].includes(buf[p + 6])) found.push([p, EVENT_START, breaks]);
    else if (buf.toString('latin1', p, p + 10) === '<EventData') found.push([p, EVENT_DATA, breaks]);
    if (buf[p] === 0x0a) breaks++;
  }
  return found;
}

const PIECES = ['<EventData', '<EventDat', '<Event ', '<Event>', '<Event\n', '<Event\r', '<Event\t', '<Event/', '</Event>', '<EventData>', '</EventData>', '<Events>', '<Even', '</Even', '<E', '</', '<', 'Event', '\n', 'x', 'é', ' '];

test('the SIMD marker scan finds exactly the event start and end tags and <EventData a byte-by-byte search finds, with the line breaks before each', () => {
  let seed = 7;
  const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
  const markers = new XmlMarkers();
  for (let round = 0; round < 400; round++) {
    const buf = Buffer.from(Array.from({ length: random(60) }, () => PIECES[random(PIECES.length)]).join(''));
    markers.find(buf);
    const got = Array.from({ length: markers.count }, (_, i) => [...markers.list.subarray(3 * i, 3 * i + 3)]);
    assert.equal(markers.scannedEnd, Math.max(0, buf.length - UNSCANNED_TAIL));
    assert.deepEqual(got, reference(buf, markers.scannedEnd), JSON.stringify(buf.toString()));
  }
});
