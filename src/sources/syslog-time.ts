import type { SyslogClock } from './source.js';
import { zoneOffset } from './time-zone.js';

// fixed patterns (never built from input), anchored, no nested quantifiers: linear on any line
const RFC3164_TIME = /^(?:<\d{1,3}>)?([A-Z][a-z]{2}) ([ \d]\d) (\d\d):(\d\d):(\d\d) /;
const RFC3339_TIME = /^(?:<\d{1,3}>)?(?:1 )?(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)) /;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const WEEK_MS = 7 * 24 * 3600 * 1000;

/**
 * The time a syslog header gives (ISO-8601 UTC), or undefined when it has none. RFC 5424/3339
 * headers carry year and zone; RFC 3164 ones get them from `clock` (see SyslogClock).
 */
export function headerTime(header: string, clock: SyslogClock = {}, now = Date.now()): string | undefined {
  const full = RFC3339_TIME.exec(header);
  if (full) {
    const ms = Date.parse(full[1]);
    return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
  }
  const m = RFC3164_TIME.exec(header);
  if (!m) return undefined;
  const month = MONTHS.indexOf(m[1]);
  if (month < 0) return undefined;
  const [day, hour, minute, second] = [Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])];
  const at = (year: number) => wallClockToUtc(year, month, day, hour, minute, second, clock.timeZone);
  let ms = at(clock.year ?? new Date(now).getUTCFullYear());
  if (clock.year === undefined && ms > now + WEEK_MS) ms = at(new Date(now).getUTCFullYear() - 1);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

/** epoch ms of a wall-clock time in `zone` (undefined: this host's zone) */
function wallClockToUtc(year: number, month: number, day: number, hour: number, minute: number, second: number, zone: string | undefined): number {
  if (zone === undefined) return new Date(year, month, day, hour, minute, second).getTime();
  const asUtc = Date.UTC(year, month, day, hour, minute, second);
  // the zone's offset at that instant, refined once for wall times near a DST change
  let guess = asUtc - zoneOffset(asUtc, zone);
  guess = asUtc - zoneOffset(guess, zone);
  return guess;
}
