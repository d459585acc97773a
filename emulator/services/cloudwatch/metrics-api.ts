import type * as CW from '@aws-sdk/client-cloudwatch';
import type { Statistic } from '../../../core/autoscaling/index.js';
import type { OperationHandler } from '../../protocol/aws-json.js';
import type { RequestContext } from '../../protocol/context.js';
import { AwsError } from '../../protocol/errors.js';
import type { ServiceDeps } from '../deps.js';
import { pageByOffset } from '../page-token.js';
import { scopeOf } from '../sagemaker/scope.js';
import { dimensionKey, MINUTE_MS, statistic, type MetricStore, type MinuteAggregate } from './metric-store.js';

const invalidParameter = (m: string) => new AwsError('InvalidParameterValue', m);
const combination = (m: string) => new AwsError('InvalidParameterCombination', m);
const STATISTICS: Statistic[] = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'];

/** Periods start at StartTime rounded down to the minute, as CloudWatch aligns them. */
function buckets(startMs: number, endMs: number, periodSeconds: number): number[] {
  const out: number[] = [];
  for (let t = startMs - (startMs % MINUTE_MS); t < endMs; t += periodSeconds * 1000) out.push(t);
  return out;
}

function checkRange(start: Date, end: Date, period: number): void {
  if (!(start.getTime() < end.getTime())) throw invalidParameter('The parameter StartTime must be less than the parameter EndTime.');
  if (period % 60 !== 0) {
    throw invalidParameter('The parameter Period must be a multiple of 60 (localsage keeps one-minute resolution; high-resolution periods of 1, 5, 10 or 30 seconds are not emulated).');
  }
}

/**
 * CloudWatch's metric operations over the per-minute store: GetMetricStatistics,
 * GetMetricData (MetricStat queries), ListMetrics and PutMetricData.
 */
export function createCloudWatchMetrics(deps: ServiceDeps, store: MetricStore): Record<string, OperationHandler> {
  return {
    GetMetricStatistics: (req: CW.GetMetricStatisticsInput, ctx: RequestContext): CW.GetMetricStatisticsOutput => {
      const stats = (req.Statistics ?? []) as Statistic[];
      if (!stats.length && !req.ExtendedStatistics?.length) throw new AwsError('MissingParameter', 'Must specify either Statistics or ExtendedStatistics.');
      if (stats.length && req.ExtendedStatistics?.length) throw combination('Must specify either Statistics or ExtendedStatistics, but not both.');
      if (req.ExtendedStatistics?.length) throw invalidParameter('localsage keeps per-minute SampleCount, Sum, Minimum and Maximum only; percentiles (ExtendedStatistics) are not emulated.');
      checkRange(req.StartTime!, req.EndTime!, req.Period!);
      const starts = buckets(req.StartTime!.getTime(), req.EndTime!.getTime(), req.Period!);
      if (starts.length > 1440) {
        throw combination(`You have requested up to ${starts.length.toLocaleString('en-US')} datapoints, which exceeds the limit of 1,440. You may reduce the datapoints requested by increasing Period, or decreasing the time range.`);
      }
      const series = store.find(scopeOf(ctx), req.Namespace!, req.MetricName!, (req.Dimensions ?? []) as { Name: string; Value: string }[]);
      const Datapoints: CW.Datapoint[] = [];
      if (series && (!req.Unit || req.Unit === series.unit)) {
        for (const t of starts) {
          const a = store.aggregate(series, t, req.Period!);
          if (!a) continue;
          const dp: CW.Datapoint = { Timestamp: new Date(t), Unit: series.unit as CW.StandardUnit };
          for (const s of stats) (dp as Record<string, unknown>)[s] = statistic(a, s);
          Datapoints.push(dp);
        }
      }
      return { Label: req.MetricName, Datapoints };
    },

    GetMetricData: (req: CW.GetMetricDataInput, ctx: RequestContext): CW.GetMetricDataOutput => {
      const scope = scopeOf(ctx);
      const ascending = req.ScanBy === 'TimestampAscending';
      const MetricDataResults: CW.MetricDataResult[] = [];
      for (const q of req.MetricDataQueries ?? []) {
        if (!q.MetricStat) {
          if (q.Expression) throw invalidParameter(`localsage does not evaluate metric math expressions (query ${q.Id}).`);
          throw new AwsError('ValidationError', `The MetricDataQuery ${q.Id} needs MetricStat or Expression.`);
        }
        const m = q.MetricStat.Metric!;
        const period = q.MetricStat.Period!;
        checkRange(req.StartTime!, req.EndTime!, period);
        const stat = q.MetricStat.Stat as Statistic;
        if (!STATISTICS.includes(stat)) throw invalidParameter(`The statistic ${q.MetricStat.Stat} is not emulated (SampleCount, Average, Sum, Minimum, Maximum).`);
        if (q.ReturnData === false) continue;
        const series = store.find(scope, m.Namespace!, m.MetricName!, (m.Dimensions ?? []) as { Name: string; Value: string }[]);
        const points: [number, MinuteAggregate][] = [];
        for (const t of buckets(req.StartTime!.getTime(), req.EndTime!.getTime(), period)) {
          const a = store.aggregate(series, t, period);
          if (a) points.push([t, a]);
        }
        if (!ascending) points.reverse();
        MetricDataResults.push({
          Id: q.Id,
          Label: q.Label ?? m.MetricName,
          Timestamps: points.map(([t]) => new Date(t)),
          Values: points.map(([, a]) => statistic(a, stat)),
          StatusCode: 'Complete',
        });
      }
      return { MetricDataResults, Messages: [] };
    },

    ListMetrics: (req: CW.ListMetricsInput, ctx: RequestContext): CW.ListMetricsOutput => {
      const wanted = req.Dimensions ?? [];
      const metrics = store
        .list(scopeOf(ctx))
        .filter(
          (s) =>
            s.minutes.size > 0 &&
            (!req.Namespace || s.namespace === req.Namespace) &&
            (!req.MetricName || s.metricName === req.MetricName) &&
            wanted.every((w) => s.dimensions.some((d) => d.Name === w.Name && (w.Value === undefined || d.Value === w.Value))),
        )
        .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.metricName.localeCompare(b.metricName) || dimensionKey(a.dimensions).localeCompare(dimensionKey(b.dimensions)))
        .map((s) => ({ Namespace: s.namespace, MetricName: s.metricName, Dimensions: s.dimensions }));
      const { items, nextToken } = pageByOffset(metrics, req.NextToken, 500, () => new AwsError('InvalidNextToken', 'The service cannot process the NextToken.'));
      return { Metrics: items, NextToken: nextToken };
    },

    PutMetricData: (req: CW.PutMetricDataInput, ctx: RequestContext) => {
      const scope = scopeOf(ctx);
      if (req.Namespace!.startsWith('AWS/')) throw invalidParameter('The value AWS/ for parameter Namespace is invalid.');
      // Every number must be finite: NaN or Infinity (which CBOR and the query protocol can carry)
      // is refused as CloudWatch refuses it, before anything reaches the store.
      (req.MetricData ?? []).forEach((d, i) => {
        const member = `MetricData.member.${i + 1}`;
        const check = (value: unknown, name: string) => {
          if (value !== undefined && value !== null && !Number.isFinite(value as number)) throw invalidParameter(`The value ${String(value)} for parameter ${member}.${name} is invalid.`);
        };
        check(d.Value, 'Value');
        d.Values?.forEach((v, j) => check(v, `Values.member.${j + 1}`));
        d.Counts?.forEach((v, j) => check(v, `Counts.member.${j + 1}`));
        for (const k of ['SampleCount', 'Sum', 'Minimum', 'Maximum'] as const) {
          const v = d.StatisticValues?.[k];
          // A null member (JSON null, or an empty query value) is a missing one, as CloudWatch reads it.
          if (d.StatisticValues && (v === undefined || v === null)) throw new AwsError('MissingParameter', `The parameter ${member}.StatisticValues.${k} is required.`);
          check(v, `StatisticValues.${k}`);
        }
        if (d.Timestamp && !Number.isFinite(d.Timestamp.getTime())) throw invalidParameter(`The value for parameter ${member}.Timestamp is invalid.`);
      });
      for (const d of req.MetricData ?? []) {
        const s = store.seriesFor(scope, req.Namespace!, d.MetricName!, (d.Dimensions ?? []) as { Name: string; Value: string }[], d.Unit ?? 'None');
        if (d.Unit) s.unit = d.Unit;
        const at = d.Timestamp ? d.Timestamp.getTime() : deps.clock.now();
        const given = [d.Value !== undefined, d.Values !== undefined, d.StatisticValues !== undefined].filter(Boolean).length;
        if (given > 1) throw combination('The parameters MetricData.member.N.Value, MetricData.member.N.Values and MetricData.member.N.StatisticValues are mutually exclusive.');
        if (d.StatisticValues) {
          const v = d.StatisticValues;
          store.add(s, at, v.Sum!, v.SampleCount!, v.Minimum!, v.Maximum!);
        } else if (d.Values) {
          if (d.Counts && d.Counts.length !== d.Values.length) throw combination('The parameters MetricData.member.N.Values and MetricData.member.N.Counts must be of the same size.');
          d.Values.forEach((v, i) => {
            const n = d.Counts?.[i] ?? 1;
            store.add(s, at, v * n, n, v, v);
          });
        } else {
          store.add(s, at, d.Value ?? 0);
        }
      }
      return {};
    },
  };
}
