import { invalid } from './errors.js';
import type { MetricQuery, MetricSource, PutMetricAlarmInput, Statistic } from './types.js';

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
export type ComparisonOperator =
  | 'GreaterThanThreshold'
  | 'GreaterThanOrEqualToThreshold'
  | 'LessThanThreshold'
  | 'LessThanOrEqualToThreshold';
export type TreatMissingData = 'missing' | 'notBreaching' | 'breaching' | 'ignore';

export interface AlarmDefinition {
  AlarmName: string;
  metric: MetricQuery;
  Period: number;
  EvaluationPeriods: number;
  DatapointsToAlarm: number;
  Threshold: number;
  ComparisonOperator: ComparisonOperator;
  /** Policy ARNs (or names) to invoke while in ALARM. */
  AlarmActions: string[];
  TreatMissingData: TreatMissingData;
}

export interface AlarmEvaluation {
  state: AlarmState;
  previous: AlarmState;
  /** Most recent datapoint in the window (the one an action acts on), if any. */
  latest: number | undefined;
  /** The window, oldest first; undefined = no datapoint. */
  datapoints: (number | undefined)[];
  breaching: number;
}

export function breaches(op: ComparisonOperator, value: number, threshold: number): boolean {
  switch (op) {
    case 'GreaterThanThreshold':
      return value > threshold;
    case 'GreaterThanOrEqualToThreshold':
      return value >= threshold;
    case 'LessThanThreshold':
      return value < threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= threshold;
  }
}

/**
 * A CloudWatch metric alarm evaluated "M out of N": at each evaluation it reads the last
 * EvaluationPeriods datapoints and goes to ALARM when at least DatapointsToAlarm of them breach.
 * Missing datapoints, with TreatMissingData "missing" (what target tracking's alarms use), count
 * neither way, and a window with no datapoint at all is INSUFFICIENT_DATA: no scaling.
 */
export class MetricAlarm {
  state: AlarmState = 'INSUFFICIENT_DATA';
  /** Transitions, for reports: [time ms, new state, reason]. */
  readonly history: { at: number; state: AlarmState; reason: string }[] = [];

  constructor(readonly def: AlarmDefinition) {
    if (!(def.Period > 0) || def.Period % 10 !== 0) throw invalid(`alarm ${def.AlarmName}: Period must be a positive multiple of 10 seconds`);
    if (!(def.EvaluationPeriods >= 1)) throw invalid(`alarm ${def.AlarmName}: EvaluationPeriods must be >= 1`);
    if (!(def.DatapointsToAlarm >= 1 && def.DatapointsToAlarm <= def.EvaluationPeriods)) {
      throw invalid(`alarm ${def.AlarmName}: DatapointsToAlarm must be between 1 and EvaluationPeriods`);
    }
  }

  /** Evaluates the window of periods that ends at `endMs` (exclusive). */
  evaluate(metrics: MetricSource, endMs: number): AlarmEvaluation {
    const d = this.def;
    const periodMs = d.Period * 1000;
    const datapoints: (number | undefined)[] = [];
    for (let k = d.EvaluationPeriods; k >= 1; k--) datapoints.push(metrics.datapoint(d.metric, endMs - k * periodMs, d.Period));
    let breaching = 0;
    let present = 0;
    let latest: number | undefined;
    for (const v of datapoints) {
      if (v === undefined) {
        if (d.TreatMissingData === 'breaching') breaching++;
        continue;
      }
      present++;
      latest = v;
      if (breaches(d.ComparisonOperator, v, d.Threshold)) breaching++;
    }
    const previous = this.state;
    let state: AlarmState;
    if (present === 0 && (d.TreatMissingData === 'missing' || d.TreatMissingData === 'ignore')) {
      state = d.TreatMissingData === 'ignore' ? previous : 'INSUFFICIENT_DATA';
    } else {
      state = breaching >= d.DatapointsToAlarm ? 'ALARM' : 'OK';
    }
    if (state !== previous) {
      const shown = datapoints.map((v) => (v === undefined ? '-' : String(round(v)))).join(', ');
      this.history.push({
        at: endMs,
        state,
        reason: `Threshold Crossed: ${breaching} of the last ${d.EvaluationPeriods} datapoints [${shown}] ${breachWord(d.ComparisonOperator)} the threshold (${round(d.Threshold)}).`,
      });
    }
    this.state = state;
    return { state, previous, latest, datapoints, breaching };
  }
}

function breachWord(op: ComparisonOperator): string {
  return op.startsWith('Greater') ? 'were greater than' : 'were less than';
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/**
 * PutMetricAlarm's request as an alarm definition, checked as the autoscaler supports it (no metric
 * math, no extended statistics). `resolveAction` turns each AlarmActions entry into a policy ARN,
 * or throws.
 */
export function alarmDefinitionFromRequest(req: PutMetricAlarmInput, resolveAction: (action: string) => string): AlarmDefinition {
  if (!req.AlarmName || !req.MetricName || !req.Namespace || req.Threshold === undefined || !req.ComparisonOperator) {
    throw invalid('PutMetricAlarm needs AlarmName, MetricName, Namespace, Threshold and ComparisonOperator');
  }
  if (req.Metrics?.length || req.ExtendedStatistic) throw invalid(`alarm ${req.AlarmName}: metric math and extended statistics are not supported by localsage`);
  const op = req.ComparisonOperator as ComparisonOperator;
  if (!['GreaterThanThreshold', 'GreaterThanOrEqualToThreshold', 'LessThanThreshold', 'LessThanOrEqualToThreshold'].includes(op)) {
    throw invalid(`alarm ${req.AlarmName}: ComparisonOperator ${op} is not supported`);
  }
  const actions = (req.AlarmActions ?? []).map(resolveAction);
  const periods = req.EvaluationPeriods ?? 1;
  return {
    AlarmName: req.AlarmName,
    metric: {
      Namespace: req.Namespace,
      MetricName: req.MetricName,
      Dimensions: (req.Dimensions ?? []).map((d) => ({ Name: d.Name!, Value: d.Value! })),
      Statistic: (req.Statistic ?? 'Average') as Statistic,
    },
    Period: req.Period ?? 60,
    EvaluationPeriods: periods,
    DatapointsToAlarm: req.DatapointsToAlarm ?? periods,
    Threshold: req.Threshold,
    ComparisonOperator: op,
    AlarmActions: actions,
    TreatMissingData: (req.TreatMissingData ?? 'missing') as TreatMissingData,
  };
}
