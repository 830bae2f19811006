import type { Line } from './framing/lines.js';
import type { RawEvent, SourceContext } from './source.js';
import { parseXmlEvent } from './xml-event.js';

/**
 * One framed XML event (or a line holding one from `xmlStart` on) to a RawEvent. The framers have
 * already applied the prefilter to the record's bytes. Bad XML becomes an `invalid-xml` skip;
 * undefined means the record produced no event.
 */
export function xmlRecordToEvent(rec: Line, xmlStart: number, file: string, ctx: SourceContext): RawEvent | undefined {
  const location = { file, line: rec.line, offset: rec.offset };
  const parsed = parseXmlEvent(xmlStart === 0 ? rec.text : rec.text.slice(xmlStart));
  if (!parsed.event) {
    ctx.skip({ location, code: 'invalid-xml', reason: parsed.error ?? 'malformed event', bytes: Buffer.byteLength(rec.text) });
    return undefined;
  }
  return { family: 'windows', system: parsed.event.system, data: parsed.event.data, location };
}
