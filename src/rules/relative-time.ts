/**
 * Splunk's relative time modifiers (`-70m@m`, `-1d@d`, `@w1`, `+3h`), as `relative_time(X, Y)`
 * applies them to the epoch time X: offsets in order, a snap (`@unit`) rounds down to the start of
 * that unit, more offsets may follow the snap. Calendar units and snaps are taken in UTC, the zone
 * tunnelwatch renders every time in (Splunk uses the searching user's zone).
 */

type Unit = 's' | 'm' | 'h' | 'd' | 'w' | 'mon' | 'q' | 'y';

const unitNames: Record<string, Unit> = {
  s: 's', sec: 's', secs: 's', second: 's', seconds: 's',
  m: 'm', min: 'm', mins: 'm', minute: 'm', minutes: 'm',
  h: 'h', hr: 'h', hrs: 'h', hour: 'h', hours: 'h',
  d: 'd', day: 'd', days: 'd',
  w: 'w', week: 'w', weeks: 'w',
  mon: 'mon', month: 'mon', months: 'mon',
  q: 'q', qtr: 'q', qtrs: 'q', quarter: 'q', quarters: 'q',
  y: 'y', yr: 'y', yrs: 'y', year: 'y', years: 'y',
};

const seconds: Partial<Record<Unit, number>> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

type Step = { kind: 'offset'; amount: number; unit: Unit } | { kind: 'snap'; unit: Unit; weekday?: number };

/** the steps of a modifier, or a reason it is not one (checked when the search compiles) */
export function parseRelativeTime(modifier: string): Step[] | string {
  const text = modifier.trim();
  if (text === 'now' || text === '') return [];
  const steps: Step[] = [];
  const pattern = /([+-])(\d*)([a-z]+)|@([a-z]+)(\d?)/gy;
  let end = 0;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
    end = pattern.lastIndex;
    if (m[1] !== undefined) {
      const unit = unitNames[m[3]];
      if (unit === undefined) return `unknown time unit \`${m[3]}\` in \`${text}\``;
      steps.push({ kind: 'offset', amount: (m[1] === '-' ? -1 : 1) * (m[2] === '' ? 1 : Number(m[2])), unit });
    } else {
      const unit = unitNames[m[4]];
      if (unit === undefined) return `unknown snap unit \`${m[4]}\` in \`${text}\``;
      if (m[5] !== '' && unit !== 'w') return `only a week snap takes a day number (\`@w1\`), in \`${text}\``;
      steps.push({ kind: 'snap', unit, ...(m[5] !== '' && { weekday: Number(m[5]) }) });
    }
  }
  if (end !== text.length || steps.length === 0) return `\`${text}\` is not a relative time modifier (e.g. -1d@d, -70m@m)`;
  return steps;
}

/** `relative_time(epoch, modifier)` in seconds; the modifier has been parsed */
export function applyRelativeTime(epoch: number, steps: Step[]): number {
  let time = epoch;
  for (const step of steps) time = step.kind === 'offset' ? offset(time, step.amount, step.unit) : snap(time, step.unit, step.weekday);
  return time;
}

function offset(time: number, amount: number, unit: Unit): number {
  const fixed = seconds[unit];
  if (fixed !== undefined) return time + amount * fixed;
  const date = new Date(time * 1000);
  const months = unit === 'mon' ? amount : unit === 'q' ? 3 * amount : 12 * amount;
  date.setUTCMonth(date.getUTCMonth() + months);
  return date.getTime() / 1000;
}

function snap(time: number, unit: Unit, weekday = 0): number {
  const fixed = unit === 'w' ? undefined : seconds[unit];
  if (fixed !== undefined) return Math.floor(time / fixed) * fixed;
  const date = new Date(Math.floor(time / 86_400) * 86_400 * 1000);
  if (unit === 'w') {
    const back = (date.getUTCDay() - weekday + 7) % 7;
    return date.getTime() / 1000 - back * 86_400;
  }
  const month = unit === 'mon' ? date.getUTCMonth() : unit === 'q' ? date.getUTCMonth() - (date.getUTCMonth() % 3) : 0;
  return Date.UTC(date.getUTCFullYear(), month, 1) / 1000;
}
