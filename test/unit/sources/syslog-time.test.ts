import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { headerTime } from '../../../src/sources/syslog-time.js';
import { isTimeZone } from '../../../src/sources/time-zone.js';
import { syslogSource } from '../../../src/sources/syslog.js';
import { bufferInput, readAll, repoRoot } from './helpers.js';

const now = Date.parse('2026-12-03T12:00:00Z');

test('RFC 3164 times take the current year, or the last one when that would put them more than a week ahead', () => {
  assert.equal(headerTime('Mar 12 07:58:01 host sysmon: ', { timeZone: 'UTC' }, now), '2026-03-12T07:58:01.000Z');
  assert.equal(headerTime('Dec  9 23:00:00 host sysmon: ', { timeZone: 'UTC' }, now), '2026-12-09T23:00:00.000Z', 'six days ahead: clock skew, this year');
  assert.equal(headerTime('Dec 31 23:59:59 host sysmon: ', { timeZone: 'UTC' }, Date.parse('2027-01-01T00:00:10Z')), '2026-12-31T23:59:59.000Z', 'read just after new year');
  assert.equal(headerTime('<13>Dec 31 23:59:59 host x: ', { year: 2019, timeZone: 'UTC' }, now), '2019-12-31T23:59:59.000Z', 'a given year wins');
});

test('RFC 3164 times are read in the given zone: IANA names (with daylight saving) and fixed offsets', () => {
  assert.equal(headerTime('Jan 15 10:00:00 h t: ', { timeZone: 'Europe/Berlin' }, now), '2026-01-15T09:00:00.000Z');
  assert.equal(headerTime('Jul 15 10:00:00 h t: ', { timeZone: 'Europe/Berlin' }, now), '2026-07-15T08:00:00.000Z');
  assert.equal(headerTime('Jul 15 10:00:00 h t: ', { timeZone: '-05:30' }, now), '2026-07-15T15:30:00.000Z');
  assert.equal(headerTime('Jul 15 10:00:00 h t: ', { timeZone: 'UTC' }, now), '2026-07-15T10:00:00.000Z');
  assert.equal(isTimeZone('Europe/Berlin') && isTimeZone('+02:00') && isTimeZone('UTC'), true);
  assert.equal(isTimeZone('Mars/Olympus'), false);
});

test('RFC 5424/3339 headers carry their own year and zone; lines without a header give no time', () => {
  assert.equal(headerTime('<14>1 2026-03-12T09:14:28.5+02:00 host sysmon - - - ', { timeZone: 'UTC', year: 1999 }, now), '2026-03-12T07:14:28.500Z');
  assert.equal(headerTime('no header here ', {}, now), undefined);
  assert.equal(headerTime('Foo 12 07:58:01 host x: ', {}, now), undefined);
});

test('a Sysmon event without a time of its own takes its RFC 3164 header time, read with the configured year and zone; one with a time keeps it', async () => {
  const line = readFileSync(path.join(repoRoot, 'examples', 'linux-sysmon.log'), 'utf8').split('\n').find((l) => l.includes('sysmon: <Event>'))!;
  const timeless = line.replace(/<TimeCreated [^>]*\/>/, '').replace(/<Data Name="UtcTime">[^<]*<\/Data>/, '');
  assert.notEqual(timeless, line);
  const { events } = await readAll(syslogSource, bufferInput(`${timeless}\n${line}\n`), { syslogClock: { year: 2024, timeZone: '+01:00' } });
  const header = /^[A-Z][a-z]{2} [ \d]\d (\d\d):(\d\d):(\d\d)/.exec(line)!;
  assert.equal(events[0].system.TimeCreated, `2024-03-12T${String(Number(header[1]) - 1).padStart(2, '0')}:${header[2]}:${header[3]}.000Z`);
  assert.notEqual(events[1].system.TimeCreated, events[0].system.TimeCreated);
  assert.match(events[1].system.TimeCreated, /^2026-03-12T/);
});
