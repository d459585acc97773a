import { Cron } from 'croner';
import { invalid } from './errors.js';

/**
 * Application Auto Scaling schedule expressions (PutScheduledAction's Schedule and Timezone):
 * at(yyyy-mm-ddThh:mm:ss), rate(n unit) and cron(minutes hours day-of-month month day-of-week
 * year). at() and cron() read their times in the action's Timezone (an IANA name, UTC when
 * absent), so `cron(0 9 ? * MON-FRI *)` in America/New_York follows daylight saving time.
 *
 * The calendar arithmetic (time zones, L, W, #, day-of-week names, DST gaps) is croner's; this
 * file only maps AWS's syntax onto it.
 */
export interface Schedule {
  /** First fire time at or after `fromMs`, or undefined when the schedule never fires again. */
  nextAtOrAfter(fromMs: number): number | undefined;
  readonly expression: string;
}

export function parseSchedule(expression: string, opts: { timezone?: string; startMs?: number; endMs?: number; createdMs: number }): Schedule {
  const timezone = checkTimezone(expression, opts.timezone);
  const start = opts.startMs ?? -Infinity;
  const end = opts.endMs ?? Infinity;
  const within = (t: number | undefined) => (t === undefined || t > end ? undefined : t);
  let m: RegExpExecArray | null;
  if ((m = /^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$/.exec(expression))) {
    const at = atInstant(expression, m[1], timezone);
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
    const cron = awsCron(m[1], expression, timezone);
    return {
      expression,
      nextAtOrAfter: (from) => {
        // croner answers "strictly after"; one millisecond earlier makes it "at or after".
        const next = cron.nextRun(new Date(Math.max(from, start) - 1));
        return within(next ? next.getTime() : undefined);
      },
    };
  }
  throw invalid(`schedule ${JSON.stringify(expression)}: expected at(yyyy-mm-ddThh:mm:ss), rate(n minutes|hours|days) or cron(...)`);
}

function checkTimezone(expression: string, timezone: string | undefined): string {
  if (!timezone) return 'UTC';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    throw invalid(`schedule ${expression}: Timezone ${timezone} is not an IANA time zone name`);
  }
  return timezone;
}

/** The instant an at() expression names, read as wall time in `timezone`. */
function atInstant(expression: string, local: string, timezone: string): number {
  const next = new Cron(local, { timezone, paused: true }).nextRun(new Date(0));
  if (!next) throw invalid(`schedule ${expression}: not a valid date and time`);
  return next.getTime();
}

/**
 * AWS's six fields (minutes hours day-of-month month day-of-week year, day-of-week 1 = Sunday,
 * one of the two day fields `?`) become croner's seven-part pattern with a zero seconds field and
 * Quartz-style weekday numbering; `0/20` (start/step, as AWS writes it) needs sloppyRanges.
 */
function awsCron(body: string, expression: string, timezone: string): Cron {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6) throw invalid(`schedule ${expression}: cron needs 6 fields (minutes hours day-of-month month day-of-week year)`);
  const [, , dom, , dow] = fields;
  if ((dom === '?') === (dow === '?')) {
    throw invalid(`schedule ${expression}: exactly one of day-of-month and day-of-week must be ?`);
  }
  try {
    return new Cron(`0 ${fields.join(' ')}`, { timezone, paused: true, mode: '7-part', alternativeWeekdays: true, sloppyRanges: true });
  } catch (e) {
    throw invalid(`schedule ${expression}: ${(e as Error).message}`);
  }
}
