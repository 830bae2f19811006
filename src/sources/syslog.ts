import type { ByteRange } from './file-blocks.js';
import { inputLines, pieceRanges, type Line } from './framing/lines.js';
import { Sniff, type RawEvent, type Source, type SourceContext, type SourceInput } from './source.js';
import { headerTime } from './syslog-time.js';
import { xmlRecordToEvent } from './xml-record.js';

// fixed patterns (never built from input): RFC 3164 `Mmm dd HH:MM:SS host ` and RFC 3339 `...T...(Z|±hh:mm) host `, optional <PRI>
const RFC3164 = /^(?:<\d{1,3}>)?[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ (\S+)/;
const RFC3339 = /^(?:<\d{1,3}>)?(?:1 )?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d) \S+ (\S+)/;
const LINUX_SYSMON_EVENT = '<Event><System><Provider Name="Linux-Sysmon"';

function syslogTag(line: string): string | undefined {
  return (RFC3164.exec(line) ?? RFC3339.exec(line))?.[1];
}

/** Index of the `<Event` element in a line, or -1. */
function eventStart(line: string): number {
  let i = line.indexOf('<Event');
  while (i >= 0) {
    const c = line.charCodeAt(i + 6);
    if (c === 0x3e /* > */ || c === 0x20 || c === 0x09) return i;
    i = line.indexOf('<Event', i + 6);
  }
  return -1;
}

/**
 * The records of a line: a bare CR separates syslog messages too (old Mac line ends, relays that
 * join messages), so each part is a record of its own, at its own byte offset on the same line.
 */
function crSeparated(line: Line): Line[] {
  let offset = line.offset;
  return line.text.split('\r').map((text) => {
    const part = { text, line: line.line, offset };
    offset += Buffer.byteLength(text) + 1;
    return part;
  });
}

/** The event of one record, or undefined (a line of another program is counted as not-an-event). */
function recordEvent(line: Line, input: SourceInput, ctx: SourceContext): RawEvent | undefined {
  const start = eventStart(line.text);
  if (start >= 0) {
    const ev = xmlRecordToEvent(line, start, input.name, ctx);
    // a syslog relay (serve) knows the sending host when the event does not name it
    if (ev && !ev.system.Computer && input.host) ev.system.Computer = input.host;
    // an event without a time of its own takes its syslog header's
    if (ev && !ev.system.TimeCreated && !ev.data.UtcTime) {
      const time = headerTime(line.text.slice(0, start), ctx.syslogClock);
      if (time) ev.system.TimeCreated = time;
    }
    return ev;
  }
  if (line.text.trim() !== '') {
    ctx.skip({ location: { file: input.name, line: line.line, offset: line.offset }, code: 'not-an-event', reason: 'syslog line without a Sysmon <Event>' });
  }
  return undefined;
}

/**
 * Sysmon for Linux in syslog files: `Mmm dd HH:MM:SS host sysmon: <Event>...`, RFC 3339 and `<PRI>`
 * headers, or bare `<Event>` lines. Lines without an event (other programs, Sysmon's own start-up
 * messages) are reported as `not-an-event`, an informational count.
 */
export const syslogSource: Source = {
  name: 'syslog',

  sniff(head: Buffer): number {
    const lines = head.toString('utf8').split('\n');
    // the last line may be cut off mid-header
    if (lines.length > 1) lines.pop();
    let score: number = Sniff.notMine;
    for (const raw of lines) {
      const line = raw.replace(/^\uFEFF/, '');
      if (line.startsWith(LINUX_SYSMON_EVENT)) return Sniff.certain;
      const tag = syslogTag(line);
      if (tag === undefined) continue;
      if (tag.toLowerCase().startsWith('sysmon')) return Sniff.certain;
      score = Sniff.plausible;
    }
    return score;
  },

  async *read(input: SourceInput, ctx: SourceContext): AsyncIterable<RawEvent> {
    for await (const batch of inputLines(input, ctx)) {
      for (const line of batch) {
        if (line.text.indexOf('\r') < 0) {
          const ev = recordEvent(line, input, ctx);
          if (ev) yield ev;
          continue;
        }
        for (const part of crSeparated(line)) {
          const ev = recordEvent(part, input, ctx);
          if (ev) yield ev;
        }
      }
    }
  },

  /** one event per line: cut at line starts */
  split(input: SourceInput, pieceBytes: number): ByteRange[] | undefined {
    return pieceRanges(input, pieceBytes);
  },
};
