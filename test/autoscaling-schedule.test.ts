import { describe, expect, it } from 'vitest';
import { parseSchedule } from '../core/autoscaling/schedule.js';

/**
 * PutScheduledAction's Schedule read in its Timezone, as the Application Auto Scaling docs
 * describe: at() and cron() are wall times in the named IANA zone, rate() counts from StartTime.
 */
const created = Date.UTC(2024, 0, 1);

describe('scheduled action expressions with time zones', () => {
  it('cron() follows the zone, daylight saving time included', () => {
    // 09:00 in New York is 14:00 UTC in winter (EST, UTC-5) and 13:00 UTC in summer (EDT, UTC-4).
    const ny = parseSchedule('cron(0 9 * * ? *)', { createdMs: created, timezone: 'America/New_York' });
    expect(ny.nextAtOrAfter(Date.UTC(2024, 0, 15))).toBe(Date.UTC(2024, 0, 15, 14));
    expect(ny.nextAtOrAfter(Date.UTC(2024, 6, 15))).toBe(Date.UTC(2024, 6, 15, 13));
    // DST starts on Sunday 2024-03-10: the 9th is still EST, the 11th already EDT.
    expect(ny.nextAtOrAfter(Date.UTC(2024, 2, 9, 15))).toBe(Date.UTC(2024, 2, 10, 13));
    // Kolkata has no DST and a half-hour offset: 09:00 IST is 03:30 UTC.
    const ist = parseSchedule('cron(0 9 * * ? *)', { createdMs: created, timezone: 'Asia/Kolkata' });
    expect(ist.nextAtOrAfter(Date.UTC(2024, 5, 1))).toBe(Date.UTC(2024, 5, 1, 3, 30));
  });

  it('the day of week is the local one, 1 = Sunday as AWS counts', () => {
    // Monday 2024-01-08 00:30 in Tokyo is still Sunday 15:30 UTC.
    const tokyo = parseSchedule('cron(30 0 ? * 2 *)', { createdMs: created, timezone: 'Asia/Tokyo' });
    expect(tokyo.nextAtOrAfter(Date.UTC(2024, 0, 6))).toBe(Date.UTC(2024, 0, 7, 15, 30));
    const utc = parseSchedule('cron(0 9 ? * MON-FRI *)', { createdMs: created });
    expect(utc.nextAtOrAfter(Date.UTC(2024, 0, 6))).toBe(Date.UTC(2024, 0, 8, 9));
  });

  it('L, # and the year field', () => {
    const lastDay = parseSchedule('cron(0 0 L * ? *)', { createdMs: created });
    expect(lastDay.nextAtOrAfter(Date.UTC(2024, 1, 2))).toBe(Date.UTC(2024, 1, 29));
    const secondTuesday = parseSchedule('cron(0 12 ? * 3#2 *)', { createdMs: created });
    expect(secondTuesday.nextAtOrAfter(Date.UTC(2024, 0, 1))).toBe(Date.UTC(2024, 0, 9, 12));
    const only2026 = parseSchedule('cron(0 0 1 1 ? 2026)', { createdMs: created });
    expect(only2026.nextAtOrAfter(Date.UTC(2024, 0, 1))).toBe(Date.UTC(2026, 0, 1));
    expect(only2026.nextAtOrAfter(Date.UTC(2026, 0, 1, 0, 0, 1))).toBeUndefined();
  });

  it('at() is wall time in the zone; at or after is inclusive; EndTime bounds', () => {
    const paris = parseSchedule('at(2024-07-01T08:00:00)', { createdMs: created, timezone: 'Europe/Paris' });
    expect(paris.nextAtOrAfter(created)).toBe(Date.UTC(2024, 6, 1, 6));
    expect(paris.nextAtOrAfter(Date.UTC(2024, 6, 1, 6))).toBe(Date.UTC(2024, 6, 1, 6));
    expect(paris.nextAtOrAfter(Date.UTC(2024, 6, 1, 6) + 1)).toBeUndefined();
    const bounded = parseSchedule('cron(0 * * * ? *)', { createdMs: created, startMs: Date.UTC(2024, 0, 2), endMs: Date.UTC(2024, 0, 2, 1) });
    expect(bounded.nextAtOrAfter(created)).toBe(Date.UTC(2024, 0, 2));
    expect(bounded.nextAtOrAfter(Date.UTC(2024, 0, 2, 1))).toBe(Date.UTC(2024, 0, 2, 1));
    expect(bounded.nextAtOrAfter(Date.UTC(2024, 0, 2, 1) + 1)).toBeUndefined();
  });

  it('rejects what AWS rejects', () => {
    expect(() => parseSchedule('cron(0 9 * * *)', { createdMs: created })).toThrow(/6 fields/);
    expect(() => parseSchedule('cron(0 9 * * MON *)', { createdMs: created })).toThrow(/\?/);
    expect(() => parseSchedule('cron(0 25 * * ? *)', { createdMs: created })).toThrow();
    expect(() => parseSchedule('cron(0 9 * * ? *)', { createdMs: created, timezone: 'Not/AZone' })).toThrow(/time zone/);
    expect(() => parseSchedule('at(2024-13-01T00:00:00)', { createdMs: created })).toThrow();
  });
});
