/**
 * Durations in scenario files: a number is seconds; a string carries its unit:
 * "250ms", "30s", "5m", "1.5h", "2d" (also "us" for microseconds). Everything inside the
 * simulator is milliseconds.
 */
const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDurationMs(value: unknown, where: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new ScenarioError(where, `must be a duration >= 0, got ${value}`);
    return value * 1000;
  }
  if (typeof value === 'string') {
    const m = /^\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*(us|ms|s|min|m|h|d)\s*$/i.exec(value);
    if (m) return Number(m[1]) * UNIT_MS[m[2].toLowerCase()];
  }
  throw new ScenarioError(where, `must be a duration like 30s, 5m, 250ms or a number of seconds, got ${JSON.stringify(value)}`);
}

/** A scenario value that is wrong, with where it is (a path like traffic.phases[0].closedLoop.users). */
export class ScenarioError extends Error {
  constructor(
    readonly where: string,
    /** What is wrong, without the path. */
    readonly detail: string,
  ) {
    super(`${where}: ${detail}`);
    this.name = 'ScenarioError';
  }
}
