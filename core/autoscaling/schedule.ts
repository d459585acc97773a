import { invalid } from './errors.js';
/**
 * Application Auto Scaling schedule expressions: at(yyyy-mm-ddThh:mm:ss), rate(n unit) and
 * cron(minutes hours day-of-month month day-of-week year). Times are UTC (the only Timezone
 * accepted here; anything else is rejected rather than silently misread).
 */
export interface Schedule {
  /** First fire time at or after `fromMs`, or undefined when the schedule never fires again. */
  nextAtOrAfter(fromMs: number): number | undefined;
  readonly expression: string;
}

export function parseSchedule(expression: string, opts: { timezone?: string; startMs?: number; endMs?: number; createdMs: number }): Schedule {
  if (opts.timezone && !/^(UTC|Etc\/UTC|GMT|Etc\/GMT)$/.test(opts.timezone)) {
    throw invalid(`schedule ${expression}: Timezone ${opts.timezone} is not supported by localsage; use UTC`);
  }
  const start = opts.startMs ?? -Infinity;
  const end = opts.endMs ?? Infinity;
  const within = (t: number | undefined) => (t === undefined || t > end ? undefined : t);
  let m: RegExpExecArray | null;
  if ((m = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/.exec(expression))) {
    const at = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
    return { expression, nextAtOrAfter: (from) => within(at >= from && at >= start ? at : undefined) };
  }
  if ((m = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(expression))) {
    const n = Number(m[1]);
    if (!(n >= 1)) throw invalid(`schedule ${expression}: rate must be >= 1`);
    const unit = m[2].startsWith('minute') ? 60_000 : m[2].startsWith('hour') ? 3_600_000 : 86_400_000;
    const every = n * unit;
    // The first run is at StartTime when given, else one interval after the action was created.
    const first = opts.startMs ?? opts.createdMs + every;
    return {
      expression,
      nextAtOrAfter: (from) => within(from <= first ? first : first + Math.ceil((from - first) / every) * every),
    };
  }
  if ((m = /^cron\((.+)\)$/.exec(expression))) {
    const cron = parseCron(m[1], expression);
    return { expression, nextAtOrAfter: (from) => within(cron(Math.max(from, start))) };
  }
  throw invalid(`schedule ${JSON.stringify(expression)}: expected at(yyyy-mm-ddThh:mm:ss), rate(n minutes|hours|days) or cron(...)`);
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

function parseCron(body: string, expression: string): (fromMs: number) => number | undefined {
  const f = body.trim().split(/\s+/);
  if (f.length !== 6) throw invalid(`schedule ${expression}: cron needs 6 fields (minutes hours day-of-month month day-of-week year)`);
  const field = (text: string, lo: number, hi: number, names?: string[], nameBase = 0): Set<number> | null => {
    if (text === '*' || text === '?') return null;
    const out = new Set<number>();
    for (const part of text.split(',')) {
      const [range, stepText] = part.split('/');
      const step = stepText === undefined ? 1 : Number(stepText);
      const val = (s: string) => {
        const i = names ? names.indexOf(s.toUpperCase()) : -1;
        const v = i >= 0 ? i + nameBase : Number(s);
        if (!Number.isInteger(v) || v < lo || v > hi) throw invalid(`schedule ${expression}: bad cron value ${s}`);
        return v;
      };
      let a: number;
      let b: number;
      if (range === '*') [a, b] = [lo, hi];
      else if (range.includes('-')) [a, b] = range.split('-').map(val) as [number, number];
      else [a, b] = [val(range), stepText === undefined ? val(range) : hi];
      if (!(step >= 1)) throw invalid(`schedule ${expression}: bad cron step ${stepText}`);
      for (let v = a; v <= b; v += step) out.add(v);
    }
    return out;
  };
  const minutes = field(f[0], 0, 59);
  const hours = field(f[1], 0, 23);
  const dom = field(f[2], 1, 31);
  const months = field(f[3], 1, 12, MONTHS, 1);
  const dow = field(f[4], 1, 7, DAYS, 1); // AWS: 1 = Sunday
  const years = field(f[5], 1970, 2199);
  const ok = (s: Set<number> | null, v: number) => s === null || s.has(v);
  return (fromMs) => {
    let t = Math.ceil(fromMs / 60_000) * 60_000;
    const limit = t + 5 * 366 * 86_400_000;
    while (t <= limit) {
      const d = new Date(t);
      if (!ok(years, d.getUTCFullYear()) || !ok(months, d.getUTCMonth() + 1) || !ok(dom, d.getUTCDate()) || !ok(dow, d.getUTCDay() + 1)) {
        t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
        continue;
      }
      if (!ok(hours, d.getUTCHours())) {
        t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours() + 1);
        continue;
      }
      if (!ok(minutes, d.getUTCMinutes())) {
        t += 60_000;
        continue;
      }
      return t;
    }
    return undefined;
  };
}
