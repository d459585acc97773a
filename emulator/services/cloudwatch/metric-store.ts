import type { MetricQuery, Statistic } from '../../../core/autoscaling/index.js';
import type { Database, Scope } from '../../storage/database.js';

export interface Dimension {
  Name: string;
  Value: string;
}

/** One minute of one metric: what CloudWatch keeps to answer every standard statistic. */
export interface MinuteAggregate {
  count: number;
  sum: number;
  min: number;
  max: number;
}

export interface Series {
  scope: Scope;
  namespace: string;
  metricName: string;
  dimensions: Dimension[];
  unit: string;
  minutes: Map<number, MinuteAggregate>;
  dirty: Set<number>;
}

export const MINUTE_MS = 60_000;
/** CloudWatch keeps one-minute datapoints for 15 days. */
const RETENTION_MS = 15 * 86_400_000;

export function dimensionKey(dims: readonly Dimension[]): string {
  return JSON.stringify([...dims].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0)).map((d) => [d.Name, d.Value]));
}

function seriesKey(scope: Scope, namespace: string, metricName: string, dims: readonly Dimension[]): string {
  return `${scope.accountId}\u0000${scope.region}\u0000${namespace}\u0000${metricName}\u0000${dimensionKey(dims)}`;
}

export function statistic(a: MinuteAggregate, s: Statistic): number {
  switch (s) {
    case 'Sum':
      return a.sum;
    case 'SampleCount':
      return a.count;
    case 'Minimum':
      return a.min;
    case 'Maximum':
      return a.max;
    case 'Average':
      return a.count ? a.sum / a.count : 0;
  }
}

/**
 * CloudWatch's metric storage at one-minute resolution: every series keeps per-minute
 * aggregates (SampleCount, Sum, Minimum, Maximum) in memory, so recording a sample on the
 * invoke path is a map lookup and four additions. Minutes that changed are written to SQLite by
 * flush(), off the hot path (the CloudWatch service calls it every few seconds and at shutdown),
 * and read back at start-up.
 */
export class MetricStore {
  private readonly series = new Map<string, Series>();
  private readonly readers: (() => void)[] = [];

  constructor(private readonly db: Database) {
    for (const row of db.metricMinutes()) {
      const s = this.seriesFor({ accountId: row.account, region: row.region }, row.namespace, row.metric, parseDimensionKey(row.dims), row.unit);
      s.minutes.set(row.minute, { count: row.count, sum: row.sum, min: row.min, max: row.max });
    }
  }

  /** Runs `fold` before every read: writers that batch on the hot path hand their sums over then. */
  beforeRead(fold: () => void): void {
    this.readers.push(fold);
  }

  private catchUp(): void {
    for (const f of this.readers) f();
  }

  /** The series for a metric, created on first use (hot-path callers keep the reference). */
  seriesFor(scope: Scope, namespace: string, metricName: string, dimensions: readonly Dimension[], unit = 'None'): Series {
    const key = seriesKey(scope, namespace, metricName, dimensions);
    let s = this.series.get(key);
    if (!s) {
      s = { scope, namespace, metricName, dimensions: dimensions.map((d) => ({ Name: d.Name, Value: d.Value })), unit, minutes: new Map(), dirty: new Set() };
      this.series.set(key, s);
    }
    return s;
  }

  /** Adds `count` samples summing to `sum` (min/max given) at time `atMs`. */
  add(s: Series, atMs: number, sum: number, count = 1, min = sum, max = sum): void {
    const minute = atMs - (atMs % MINUTE_MS);
    const a = s.minutes.get(minute);
    if (a) {
      a.count += count;
      a.sum += sum;
      if (min < a.min) a.min = min;
      if (max > a.max) a.max = max;
    } else {
      s.minutes.set(minute, { count, sum, min, max });
    }
    s.dirty.add(minute);
  }

  find(scope: Scope, namespace: string, metricName: string, dims: readonly Dimension[]): Series | undefined {
    return this.series.get(seriesKey(scope, namespace, metricName, dims));
  }

  /** Merged aggregate over [startMs, startMs + periodSeconds), or undefined when nothing was recorded. */
  aggregate(s: Series | undefined, startMs: number, periodSeconds: number): MinuteAggregate | undefined {
    this.catchUp();
    if (!s) return undefined;
    let out: MinuteAggregate | undefined;
    const first = Math.ceil(startMs / MINUTE_MS) * MINUTE_MS;
    for (let m = first; m < startMs + periodSeconds * 1000; m += MINUTE_MS) {
      const a = s.minutes.get(m);
      if (!a) continue;
      if (!out) out = { ...a };
      else {
        out.count += a.count;
        out.sum += a.sum;
        out.min = Math.min(out.min, a.min);
        out.max = Math.max(out.max, a.max);
      }
    }
    return out;
  }

  /** The autoscaler's view of one account and region. */
  sourceFor(scope: Scope): { datapoint(q: MetricQuery, startMs: number, periodSeconds: number): number | undefined } {
    return {
      datapoint: (q, startMs, periodSeconds) => {
        const a = this.aggregate(this.find(scope, q.Namespace, q.MetricName, q.Dimensions), startMs, periodSeconds);
        return a && statistic(a, q.Statistic);
      },
    };
  }

  list(scope: Scope): Series[] {
    this.catchUp();
    return [...this.series.values()].filter((s) => s.scope.accountId === scope.accountId && s.scope.region === scope.region);
  }

  /**
   * Writes every minute that changed since the last flush, and forgets minutes older than
   * CloudWatch keeps one-minute data (15 days) before `nowMs`.
   */
  flush(nowMs?: number): void {
    this.catchUp();
    if (nowMs !== undefined) {
      const cutoff = nowMs - RETENTION_MS;
      for (const s of this.series.values()) {
        for (const m of s.minutes.keys()) if (m < cutoff) s.minutes.delete(m);
      }
      this.db.deleteMetricMinutesBefore(cutoff);
    }
    const rows: Parameters<Database['putMetricMinutes']>[0] = [];
    for (const s of this.series.values()) {
      if (!s.dirty.size) continue;
      const dims = dimensionKey(s.dimensions);
      for (const minute of s.dirty) {
        const a = s.minutes.get(minute);
        // A minute recorded with a timestamp already past retention was just forgotten above.
        if (!a) continue;
        rows.push({ account: s.scope.accountId, region: s.scope.region, namespace: s.namespace, metric: s.metricName, dims, unit: s.unit, minute, ...a });
      }
      s.dirty.clear();
    }
    if (rows.length) this.db.putMetricMinutes(rows);
  }
}

/** dimensionKey's form back to Dimension objects. */
export function parseDimensionKey(key: string): Dimension[] {
  return (JSON.parse(key) as [string, string][]).map(([Name, Value]) => ({ Name, Value }));
}
