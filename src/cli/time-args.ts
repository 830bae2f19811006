import { InvalidArgumentError } from 'commander';
import { isTimeZone } from '../sources/time-zone.js';

const unitSeconds: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 7 * 86400 };

/** `Europe/Berlin`, `UTC`, `+05:30`: a zone to read or show times in */
export function parseTimeZone(text: string): string {
  if (!isTimeZone(text)) throw new InvalidArgumentError(`'${text}' is not a time zone: an IANA name (Europe/Berlin), UTC or ±hh:mm`);
  return text;
}

/** `90s`, `30m`, `24h`, `7d`, `2w` -> seconds */
export function parseDuration(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$/i.exec(text);
  if (!match) throw new InvalidArgumentError(`'${text}' is not a duration like 30m, 24h or 7d`);
  return Number(match[1]) * unitSeconds[match[2].toLowerCase()];
}

/**
 * A point in time as epoch seconds: `now`, relative to now (`-7d`, `-24h`, `-30m`), epoch
 * seconds, or ISO-8601 (a time without a zone is UTC, like every time tunnelwatch prints).
 */
export function parseTimeArg(text: string, now = Date.now() / 1000): number {
  const t = text.trim();
  if (t.toLowerCase() === 'now') return now;
  if (/^-\d/.test(t)) return now - parseDuration(t.slice(1));
  if (/^\d{9,}(\.\d+)?$/.test(t)) return Number(t);
  const iso = /^\d{4}-\d\d-\d\d$/.test(t) ? `${t}T00:00:00Z` : /(Z|[+-]\d\d:?\d\d)$/i.test(t) ? t : `${t}Z`;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new InvalidArgumentError(`'${text}' is not a time: use ISO-8601 (2024-05-01T10:00:00Z), epoch seconds, now, or -7d / -24h`);
  return ms / 1000;
}
