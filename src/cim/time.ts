/**
 * Event times as epoch seconds (float). Hand-written parsers: Date.parse drops digits past
 * milliseconds and is slow on the hot path; these never throw and return NaN on bad input.
 */

/**
 * ISO-8601 UTC `2020-10-08T11:03:46.617920300Z` (0-9+ fraction digits; `T` or space; `Z`, no zone
 * (= UTC), or `±hh:mm` / `±hhmm`).
 */
export function parseIsoSeconds(text: string): number {
  if (text.length < 19) return NaN;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  const sep = text.charCodeAt(10);
  if (
    text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || (sep !== 84 && sep !== 32) ||
    text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58 ||
    year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 ||
    minute < 0 || minute > 59 || second < 0 || second > 60
  ) {
    return NaN;
  }
  let i = 19;
  let fraction = 0;
  if (text.charCodeAt(i) === 46 /* . */) {
    i++;
    let scale = 0.1;
    const start = i;
    for (; i < text.length; i++) {
      const d = text.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      fraction += d * scale;
      scale /= 10;
    }
    if (i === start) return NaN;
  }
  const offset = zoneOffsetSeconds(text, i);
  if (Number.isNaN(offset)) return NaN;
  return Date.UTC(year, month - 1, day, hour, minute, second) / 1000 + fraction - offset;
}

/** Epoch milliseconds as text (CrowdStrike `timestamp`) -> seconds. */
export function parseEpochMillisSeconds(text: string): number {
  if (text === '') return NaN;
  const ms = Number(text);
  return Number.isFinite(ms) ? ms / 1000 : NaN;
}

function zoneOffsetSeconds(text: string, i: number): number {
  if (i === text.length) return 0;
  const c = text.charCodeAt(i);
  if (c === 90 /* Z */) return i + 1 === text.length ? 0 : NaN;
  if (c !== 43 && c !== 45) return NaN;
  const hours = digits(text, i + 1, 2);
  const colon = text.charCodeAt(i + 3) === 58 ? 1 : 0;
  const minutes = digits(text, i + 3 + colon, 2);
  if (hours < 0 || minutes < 0 || i + 5 + colon !== text.length) return NaN;
  const seconds = hours * 3600 + minutes * 60;
  return c === 43 ? seconds : -seconds;
}

/** The decimal number in text[start, start+count), or -1 if any of it is not a digit. */
function digits(text: string, start: number, count: number): number {
  let n = 0;
  for (let i = start; i < start + count; i++) {
    const d = text.charCodeAt(i) - 48;
    if (!(d >= 0 && d <= 9)) return -1;
    n = n * 10 + d;
  }
  return n;
}
