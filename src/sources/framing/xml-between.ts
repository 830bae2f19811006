import { GT, isSpace, LT } from '../xml-event.js';

/**
 * The runs of garbage in the text between two events, buf[start, end): whitespace, `<?xml?>`,
 * comments, DOCTYPE and `<Events>` wrappers are fine there (and a UTF-8 BOM at the file's first byte,
 * buf[fileStart]); each run of anything else is handed to `garbage`, without its trailing whitespace
 * so that its size does not depend on where chunks end.
 */
export function forEachGarbageRun(buf: Buffer, start: number, end: number, fileStart: number, garbage: (start: number, end: number) => void): void {
  let i = start;
  while (i < end) {
    const c = buf[i];
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (i === fileStart && c === 0xef && buf[i + 1] === 0xbb && buf[i + 2] === 0xbf) {
      i += 3;
      continue;
    }
    const skipTo = c === LT ? ignorableTagEnd(buf, i, end) : -1;
    if (skipTo > 0) {
      i = skipTo;
      continue;
    }
    let g = i + 1;
    while (g < end && buf[g] !== LT) g++;
    let last = g;
    while (isSpace(buf[last - 1])) last--;
    garbage(i, last);
    i = g;
  }
}

/** end of an ignorable tag starting at `i`, or -1 */
function ignorableTagEnd(buf: Buffer, i: number, end: number): number {
  const gt = buf.indexOf(GT, i);
  if (gt < 0 || gt >= end) return -1;
  const next = buf[i + 1];
  if (next === 0x3f /* ? */ || next === 0x21 /* ! */) return gt + 1;
  const name = buf.toString('latin1', i + 1, Math.min(gt, i + 9));
  if (name.startsWith('Events') || name.startsWith('/Events')) return gt + 1;
  return -1;
}
