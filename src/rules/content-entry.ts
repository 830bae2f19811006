/**
 * The compiled-content cache's file (content-cache.ts). Each detection's event search
 * (`plan.where`) is kept out of line and parsed when first read: on SigmaHQ's five categories the
 * searches are 6.9 of the entry's 13 MB, and a scan reads only those of the detections its events
 * are candidates for (the candidate index restores its buckets without them: candidate-index.ts).
 * Parsing them all took ~110 ms of every start-up, and as much again in the garbage they made.
 *
 * Layout, all ASCII (ascii-json.ts): the head's length in decimal, a newline, the head (the content
 * as JSON, each detection's `plan.where` replaced by where its text ends in the section, and the
 * section's length), then the section: the searches' JSON texts one after another.
 */
import { isAscii } from 'node:buffer';
import { asciiJson } from './ascii-json.js';
import type { Content } from './content.js';
import type { Expr, SearchPlan } from './search-plan.js';

/** the head's `plan.where`: the end of the search's text in the section */
type Stored<T extends Content> = T & { sectionLength: number };

export function encodeEntry(content: Content): string {
  const searches: string[] = [];
  let end = 0;
  const detections = content.detections.map((d) => {
    const text = asciiJson(d.plan.where);
    searches.push(text);
    end += text.length;
    return { ...d, plan: { ...d.plan, where: end } };
  });
  const head = asciiJson({ ...content, detections, sectionLength: end });
  return `${head.length}\n${head}${searches.join('')}`;
}

/** The content in `bytes`, each search read on first use; undefined when the bytes are not a whole entry of this layout. */
export function decodeEntry<T extends Content>(bytes: Buffer, file: string): T | undefined {
  const newline = bytes.indexOf(10);
  const headLength = newline > 0 && newline <= 12 ? Number(bytes.toString('latin1', 0, newline)) : NaN;
  if (!Number.isSafeInteger(headLength)) return undefined;
  const sectionStart = newline + 1 + headLength;
  if (sectionStart > bytes.length) return undefined;
  const content = JSON.parse(text(bytes, newline + 1, sectionStart)) as Stored<T>;
  if (!Array.isArray(content.detections) || !Array.isArray(content.correlations)) return undefined;
  if (sectionStart + content.sectionLength !== bytes.length) return undefined;
  let start = sectionStart;
  for (const { plan } of content.detections) {
    const end = sectionStart + (plan.where as unknown as number);
    if (!Number.isSafeInteger(end) || end < start || end > bytes.length) return undefined;
    readOnFirstUse(plan, bytes, start, end, file);
    start = end;
  }
  delete (content as Partial<Stored<T>>).sectionLength;
  return content;
}

/** an ASCII entry is a one-byte string as Latin-1, with no UTF-8 decoding */
function text(bytes: Buffer, start: number, end: number): string {
  return bytes.toString(isAscii(bytes.subarray(start, end)) ? 'latin1' : 'utf8', start, end);
}

/** `plan.where` parsed from bytes[start, end) when first read (or replaced when first written), then a plain property */
function readOnFirstUse(plan: SearchPlan, bytes: Buffer, start: number, end: number, file: string): void {
  const settle = (where: Expr) => Object.defineProperty(plan, 'where', { value: where, writable: true, enumerable: true, configurable: true });
  Object.defineProperty(plan, 'where', {
    enumerable: true,
    configurable: true,
    get(): Expr {
      let where: Expr;
      try {
        where = JSON.parse(text(bytes, start, end)) as Expr;
      } catch (e) {
        // the file was whole (its lengths add up) but its bytes changed since it was written
        throw new Error(`the compiled-content cache entry ${file} is damaged (${(e as Error).message}): delete it, or run with TUNNELWATCH_NO_CACHE=1`);
      }
      settle(where);
      return where;
    },
    set: settle,
  });
}
