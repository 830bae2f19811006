/**
 * Time zones as tunnelwatch accepts them: an IANA name (`Europe/Berlin`), `UTC`, or a fixed
 * offset `±hh:mm`. Syslog headers are read in one; `--timezone` shows times in one.
 */
const OFFSET = /^([+-])(\d\d):?(\d\d)$/;

/** Whether `zone` is an IANA name, `UTC`, or `±hh:mm`. */
export function isTimeZone(zone: string): boolean {
  if (OFFSET.test(zone)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** how far `zone`'s wall clock is ahead of UTC at `instant` (epoch ms), ms */
export function zoneOffset(instant: number, zone: string): number {
  const fixed = OFFSET.exec(zone);
  if (fixed) return (fixed[1] === '-' ? -1 : 1) * (Number(fixed[2]) * 60 + Number(fixed[3])) * 60_000;
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }).formatToParts(new Date(instant));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return wall - Math.floor(instant / 1000) * 1000;
}

/**
 * A time as tunnelwatch writes it (ISO-8601 UTC, `2026-03-10T13:12:41`, the `Z` optional) shown
 * in `zone`, with its offset: `2026-03-10T14:12:41+01:00`. Without a zone, or in UTC, it stays as
 * it is; text that is no such time is returned unchanged.
 */
export function displayTime(text: string, zone: string | undefined): string {
  if (zone === undefined || zone === 'UTC') return text;
  const instant = Date.parse(/(Z|[+-]\d\d:?\d\d)$/i.test(text) ? text : `${text}Z`);
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(text) || !Number.isFinite(instant)) return text;
  const offset = zoneOffset(instant, zone);
  const minutes = Math.abs(offset) / 60_000;
  const sign = offset < 0 ? '-' : '+';
  const wall = new Date(instant + offset).toISOString().slice(0, 19);
  return `${wall}${sign}${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}
