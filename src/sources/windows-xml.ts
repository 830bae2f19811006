import type { ByteRange } from './file-blocks.js';
import { pieceOf, pieceRanges } from './framing/lines.js';
import { frameXmlEvents } from './framing/xml-events.js';
import { Sniff, type RawEvent, type Source, type SourceContext, type SourceInput } from './source.js';
import { xmlRecordToEvent } from './xml-record.js';

const WINDOWS_NS = 'http://schemas.microsoft.com/win/2004/08/events/event';

/** Head text after a UTF-8 BOM and leading whitespace. */
function headText(head: Buffer): string {
  const start = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  return head.toString('utf8', start).trimStart();
}

/**
 * Windows event XML: Splunk XmlWinEventLog (one `<Event xmlns='...'>` per line, single quotes) and
 * `wevtutil qe /f:xml` output (pretty-printed or not, optionally inside `<Events>`).
 */
export const windowsXmlSource: Source = {
  name: 'windows-xml',

  sniff(head: Buffer): number {
    const text = headText(head);
    if (text.startsWith('<?xml') || text.startsWith('<Events')) return text.includes('<Event') ? Sniff.certain : Sniff.plausible;
    if (!text.startsWith('<Event')) return Sniff.notMine;
    if (text.includes(WINDOWS_NS)) return Sniff.certain;
    // bare Sysmon for Linux lines are the syslog source's, but this one reads them too
    return Sniff.plausible;
  },

  async *read(input: SourceInput, ctx: SourceContext): AsyncIterable<RawEvent> {
    // an event belongs to the piece its start tag begins in: no byte before the piece is needed
    const part = pieceOf(input);
    for await (const batch of frameXmlEvents(part?.chunks ?? input.open(), input.name, ctx, input.startsAt, part?.piece)) {
      for (const rec of batch) {
        const ev = xmlRecordToEvent(rec, 0, input.name, ctx);
        if (ev) yield ev;
      }
    }
  },

  /** any event XML can be cut anywhere: an event belongs to the piece its start tag begins in */
  split(input: SourceInput, pieceBytes: number): ByteRange[] | undefined {
    return pieceRanges(input, pieceBytes);
  },
};
