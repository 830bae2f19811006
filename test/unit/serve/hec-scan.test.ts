import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prng } from '../evtx/helpers.js';
import { EnvelopeScanner, unescapeInto } from '../../../src/ingest/hec-scan.js';
import { JsonStrings } from '../../../src/ingest/json-strings.js';
import { digestOf, joinedLines, parseEventBody, parseHecTime, type HecMetadata, type HecParse, type ParseOptions } from '../../../src/ingest/hec-events.js';

/**
 * The byte scanner (hec-scan.ts) must read every `/event` body exactly as JSON.parse does: the same
 * events, bytes, metadata, times and resend digests, and the same first error with the same event
 * number. The JSON.parse path (`scanner: false`) is the reference; digests must also equal the
 * documented formula, so journals written before keep deduplicating resends.
 */

const defaults: HecMetadata = { index: 'main', sourcetype: 'XmlWinEventLog' };
const allowed = ['main', 'other'];

const plain = (r: HecParse) => ({
  error: r.error,
  events: r.events.map((e) => ({ ...e, bytes: e.bytes.toString('hex') })),
});

/**
 * The byte scanner's three ways of reading string tokens: the SIMD kernel with its whole window
 * (json-strings.wat), with windows so small that tokens cross their edges or outgrow them (then
 * read byte by byte), and byte by byte in JavaScript.
 */
const scanners: Array<{ name: string; options: ParseOptions }> = [
  { name: 'simd', options: {} },
  { name: 'simd, 24-byte window', options: { simdWindow: 24 } },
  { name: 'simd, 61-byte window', options: { simdWindow: 61 } },
  { name: 'javascript', options: { simd: false } },
];

/**
 * The scanner's own verdicts, envelope by envelope, the same with every string reader: what it
 * accepts (a reader that wrongly refused a token would go unseen in the events, as JSON.parse then
 * reads the envelope), where each value lies, the event token's shape and its text.
 */
function sameVerdicts(body: Buffer, label: string): void {
  const readers = [undefined, new JsonStrings(body), new JsonStrings(body, 24), new JsonStrings(body, 61)];
  const scanners = readers.map((strings) => new EnvelopeScanner(strings));
  let at = 0;
  for (;;) {
    while (at < body.length && ' \t\r\n'.includes(String.fromCharCode(body[at]))) at++;
    if (at >= body.length) return;
    const verdicts = scanners.map((s, k) => {
      const ok = s.scan(body, at);
      const [start, end] = [s.starts[0], s.ends[0]];
      const text = ok && start >= 0 && !s.eventShape.surrogate ? Buffer.alloc(end - start) : undefined;
      const written = text && unescapeInto(body, start, end, s.eventShape, text, 0, readers[k]);
      return { ok, end: s.end, starts: [...s.starts], ends: [...s.ends], shape: { ...s.eventShape }, text: text?.subarray(0, written).toString('hex') };
    });
    for (let k = 1; k < verdicts.length; k++) assert.deepEqual(verdicts[k], verdicts[0], `${label}: reader ${k} at ${at}`);
    if (!verdicts[0].ok) return;
    at = verdicts[0].end;
  }
}

function sameAsReference(body: Buffer, label: string): HecParse {
  sameVerdicts(body, label);
  const reference = plain(parseEventBody(body, defaults, allowed, { scanner: false }));
  let fast: HecParse | undefined;
  for (const { name, options } of scanners) {
    const result = parseEventBody(body, defaults, allowed, options);
    assert.deepEqual(plain(result), reference, `${label} (${name}): ${JSON.stringify(body.toString('latin1').slice(0, 300))}`);
    fast ??= result;
  }
  return fast as HecParse;
}

/** the digest formula docs/serve.md names, from the envelope as JSON.parse reads it */
function documentedDigest(envelope: Record<string, unknown>): string {
  const meta: HecMetadata = { ...defaults };
  for (const k of ['index', 'host', 'source', 'sourcetype'] as const) if (typeof envelope[k] === 'string' && envelope[k] !== '') meta[k] = envelope[k] as string;
  const text = typeof envelope.event === 'string' ? envelope.event : JSON.stringify(envelope.event);
  const time = envelope.time === undefined || envelope.time === null ? undefined : parseHecTime(envelope.time);
  return digestOf([meta.index, meta.host, meta.source, meta.sourcetype, time, text, envelope.fields ?? null]);
}

test('hand-picked envelopes: escapes of every kind, blanks, non-string events, BOMs, duplicate and escaped keys, bad JSON', () => {
  const cases = [
    '{"event":"<Event>plain</Event>","host":"h1"}',
    '{"event":"quote \\" backslash \\\\ slash \\/ tab \\t nl \\n cr \\r ff \\f bs \\b","time":1700000000.5}',
    '{"event":"\\u00e9t\\u00C9 \\u0001 \\u001f \\u000a \\u0041 \\u20ac","time":"1700000000123"}',
    '{"event":"pair \\ud83d\\ude00 lone \\ud800 end","source":"s"}',
    '{"event":"lone low \\udfff end"}', '{"event":"only canonical escapes: \\u001f \\u0001 \\u000b"}', '{"event":"upper \\u001F"}',
    '{"event":"caf\u00e9 \u00ae \u{1F600}","sourcetype":"\\u0078ml"}',
    '{"event":"   "}', '{"event":""}', '{"event":"{}"}', '{"event":"[]"}', '{"event":"\\u00a0\\u2028"}', '{"event":" x"}', '{"event":"{]"}',
    '{"event":{"a":1,"b":[true,null,"x"]}}', '{"event":12.5}', '{"event":false}', '{"event":null}', '{"host":"h"}', '{"event":[]}',
    '{"event":"a","event":"b"}', '{"event":{"x":1},"event":"s"}', '{"\\u0065vent":"escaped key"}', '{"event":"x","fields":{"a":"1","b":[1,2]}}',
    '{"event":"x","fields":{"a":{"nested":1}}}', '{"event":"x","fields":null}', '{"event":"x","index":"nope"}', '{"event":"x","index":"Bad!"}',
    '{"event":"x","host":5}', '{"event":"x","time":-1}', '{"event":"x","time":"12a"}', '{"event":"x","time":1e3}', '{"event":"x","time":01}',
    '{"event":"x",}', '{"event":"x" "host":"h"}', '{"event":"unterminated}', '{"event":"ctl \u0001 raw"}', '{"event":"bad \\x escape"}',
    '[{"event":"array"}]', '{"event":"x"}]', '  \n\t{"event":"ws"}  \r\n', '\u{FEFF}{"event":"bom"}\u{FEFF}{"event":"bom2"}', '', '   ',
    '{"event":"deep","other":' + '['.repeat(70) + ']'.repeat(70) + '}', '{"event":"x","other":{"k":[1,-0.5e+3,"s\\"",{}]}}',
    '{"event":"x","time":1700000000,"host":"","source":null}', '{"event":"one"}{"event":"two"}{"event":"  "}{"event":"four"}',
  ];
  for (const c of cases) sameAsReference(Buffer.from(c), c);
  const r = sameAsReference(Buffer.from(cases[0] + cases[1] + cases[4]), 'batch');
  assert.equal(r.events.length, 3);
  assert.equal(r.events[1].bytes.toString(), 'quote " backslash \\ slash / tab \t nl \n cr \r ff \f bs \b');
});

test('a body that is not valid UTF-8 is read as its decoded text is, envelope by envelope', () => {
  const body = Buffer.concat([Buffer.from('{"event":"a\u00e9'), Buffer.from([0xff, 0xc3]), Buffer.from('b","host":"h'), Buffer.from([0xe2, 0x82]), Buffer.from('"} {"event":"ok"}')]);
  const r = sameAsReference(body, 'invalid utf-8');
  assert.equal(r.events.length, 2);
  assert.ok(r.events[0].bytes.includes(Buffer.from('\ufffd')), 'invalid bytes are replacement characters, as in the decoded text');
});

test('20,000 generated and mutated bodies: the scanner and JSON.parse agree on every event, digest and error; digests follow the documented formula', () => {
  const next = prng(14);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)];
  const longPieces = ['<Data Name="CommandLine">powershell.exe -nop -w hidden</Data>', 'x'.repeat(15), 'y'.repeat(16), 'z'.repeat(17), '\u00e9'.repeat(9)];
  const pieces = ['<Event>', "Name='x'", '"quoted"', '\\', '\n', '\t', '\u00ae', '\u{1F600}', '\u2028', ' ', '{}', '\u0001', 'C:\\Windows\\x.exe', '/'];
  // mostly short texts, some long enough for several of the kernel's 16-byte blocks between escapes
  const text = () => Array.from({ length: Math.floor(next() * (next() < 0.8 ? 6 : 40)) }, () => pick(next() < 0.9 ? pieces : longPieces)).join('');
  const envelope = (): Record<string, unknown> => {
    const e: Record<string, unknown> = {};
    const r = next();
    e.event = r < 0.75 ? text() : r < 0.85 ? { k: text(), n: Math.floor(next() * 100) } : r < 0.9 ? null : r < 0.95 ? 7 : undefined;
    if (next() < 0.5) e.host = pick(['h1', 'h\u00e9', '', null, 3]);
    if (next() < 0.4) e.time = pick([1700000000, 1700000000.25, '1700000000123', '1700000000123456789', -5, 'x', null]);
    if (next() < 0.3) e.index = pick(['main', 'other', 'forbidden', 'BAD']);
    if (next() < 0.2) e.fields = pick([{ a: 'b' }, { a: [1, 'x'] }, { a: { b: 1 } }, null, []]);
    if (next() < 0.2) e.sourcetype = pick(['XmlWinEventLog', 'json', '']);
    return e;
  };
  // writers other than JSON.stringify: escaped slashes and \u escapes (as Go's encoding/json writes <, >, &)
  const encode = (e: Record<string, unknown>): string => {
    let s = JSON.stringify(e);
    const r = next();
    if (r < 0.15) s = s.replace(/\//g, '\\/');
    else if (r < 0.3) s = s.replace(/</g, '\\u003c').replace(/>/g, '\\u003E');
    else if (r < 0.35) s = s.replace(/":/g, '" : ');
    return s;
  };
  let events = 0;
  for (let n = 0; n < 20_000; n++) {
    const envelopes = Array.from({ length: 1 + Math.floor(next() * 4) }, envelope);
    let body = envelopes.map(encode).join(pick(['', '\n', ' ', '\r\n']));
    if (next() < 0.3) {
      // a mutation: a byte cut, changed or inserted anywhere
      const at = Math.floor(next() * body.length);
      const m = next();
      body = m < 0.33 ? body.slice(0, at) : m < 0.66 ? body.slice(0, at) + pick(['"', '{', '}', '\\', ',', ':', 'x', ']']) + body.slice(at + 1) : body.slice(0, at) + pick(['"', '\\u', ' ', '{']) + body.slice(at);
      sameAsReference(Buffer.from(body), `mutated #${n}`);
      continue;
    }
    const r = sameAsReference(Buffer.from(body), `#${n}`);
    r.events.forEach((e, i) => assert.equal(e.digest, documentedDigest(envelopes[i]), `#${n} event ${i}`));
    events += r.events.length;
  }
  assert.ok(events > 5_000, `only ${events} events were valid: the generator tests too little`);
});

test('a run of events is journaled as the texts each followed by a newline: in place when they lie back to back in the parse, copied when a resend left a gap or an envelope went through JSON.parse', () => {
  const texts = ['<Event>C:\\\\Windows\\\\one</Event>', '<Event>two "q"</Event>', '<Event>three</Event>', '<Event>four \u00ae</Event>'];
  const body = Buffer.from(texts.map((t) => JSON.stringify({ event: t, host: 'h' })).join('\n'));
  const { events } = parseEventBody(body, defaults, allowed);
  const expected = (list: typeof events) => Buffer.concat(list.flatMap((e) => [e.bytes, Buffer.from('\n')]));
  const whole = joinedLines(events);
  assert.equal(whole.toString(), `${texts.join('\n')}\n`);
  assert.equal(whole.buffer, events[0].bytes.buffer, 'the events of one scanned body are joined without a copy');
  const gap = [events[0], events[2], events[3]];
  assert.deepEqual(joinedLines(gap), expected(gap));
  assert.notEqual(joinedLines(gap).buffer, events[0].bytes.buffer);
  assert.deepEqual(joinedLines(events.slice(1, 3)), expected(events.slice(1, 3)));
  // an object event is read by JSON.parse: its text is a buffer of its own between scanned ones
  const mixed = parseEventBody(Buffer.from(`{"event":"a"}{"event":{"k":1}}{"event":"b"}`), defaults, allowed).events;
  assert.deepEqual(joinedLines(mixed).toString(), 'a\n{"k":1}\nb\n');
  assert.deepEqual(joinedLines([mixed[1]]).toString(), '{"k":1}\n');
});
