import type {
  CreateHyperParameterTuningJobRequest,
  HyperParameterTrainingJobDefinition,
  HyperParameterTuningJobObjective,
  ParameterRanges,
  ResourceConfig,
} from '@aws-sdk/client-sagemaker';
import { algorithmForImage, type AlgorithmName } from '../../../../algorithms/index.js';
import { validation } from '../../../protocol/errors.js';
import type { ParameterSpec, ScalingType, SearchSpace } from '../../../tuning/search/types.js';
import { TUNABLE } from './catalog.js';

/** One training job definition, checked and turned into what the runner and the searcher use. */
export interface DefinitionPlan {
  definition: HyperParameterTrainingJobDefinition;
  algorithm: AlgorithmName;
  objective: HyperParameterTuningJobObjective;
  space: SearchSpace;
}

const INVALID_IMAGE = 'Invalid training image. Please provide a valid Amazon Elastic Container Registry path of the Docker image to run.';

/**
 * The checks CreateHyperParameterTuningJob makes beyond the service model (which the protocol
 * layer has already enforced): the objective, the ranges, the strategy's constraints. Returns one
 * plan per training job definition.
 */
export function planTuningJob(req: CreateHyperParameterTuningJobRequest): DefinitionPlan[] {
  const config = req.HyperParameterTuningJobConfig!;
  const strategy = config.Strategy!;
  if (req.TrainingJobDefinition && req.TrainingJobDefinitions) {
    throw validation('Provide either TrainingJobDefinition or TrainingJobDefinitions, not both.');
  }
  const definitions = req.TrainingJobDefinitions ?? (req.TrainingJobDefinition ? [req.TrainingJobDefinition] : []);
  if (!definitions.length) throw validation('A TrainingJobDefinition or TrainingJobDefinitions is required.');
  if (req.TrainingJobDefinitions) {
    const names = new Set<string>();
    for (const d of definitions) {
      if (!d.DefinitionName) throw validation('Every entry of TrainingJobDefinitions needs a DefinitionName.');
      if (names.has(d.DefinitionName)) throw validation(`TrainingJobDefinitions has a duplicate DefinitionName: ${d.DefinitionName}.`);
      names.add(d.DefinitionName);
    }
  }

  const plans = definitions.map((definition) => planDefinition(req, definition, !!req.TrainingJobDefinitions));
  const limits = config.ResourceLimits!;
  const early = config.TrainingJobEarlyStoppingType ?? 'Off';
  if (strategy === 'Grid') {
    if (limits.MaxNumberOfTrainingJobs !== undefined) {
      throw validation('MaxNumberOfTrainingJobs is not supported for the Grid strategy: a grid search runs every combination of the ranges once.');
    }
    for (const p of plans) {
      const continuous = p.space.parameters.find((s) => s.type === 'Continuous');
      if (continuous) {
        throw validation(`The Grid strategy supports only categorical and integer ranges, but '${continuous.name}' is a continuous range.`);
      }
    }
  } else {
    if (limits.MaxNumberOfTrainingJobs === undefined) throw validation(`MaxNumberOfTrainingJobs is required for the ${strategy} strategy.`);
    // A space with fewer points than jobs is refused (only discrete spaces can be counted).
    for (const p of plans) {
      const combinations = countCombinations(p.space.parameters);
      if (combinations !== undefined && combinations < limits.MaxNumberOfTrainingJobs) {
        throw validation(
          `You don't have enough combinations of hyperparameter ranges. The total number of hyperparameter combinations for the provided ranges [${combinations.toFixed(1)}] must be equal or greater than the value of MaxNumberOfJobs, [${limits.MaxNumberOfTrainingJobs}]. Provide additional ranges.`,
        );
      }
    }
  }
  if (limits.MaxNumberOfTrainingJobs !== undefined && limits.MaxParallelTrainingJobs! > limits.MaxNumberOfTrainingJobs) {
    throw validation(
      `MaxParallelTrainingJobs (${limits.MaxParallelTrainingJobs}) cannot be greater than MaxNumberOfTrainingJobs (${limits.MaxNumberOfTrainingJobs}).`,
    );
  }
  if (config.StrategyConfig?.HyperbandStrategyConfig && strategy !== 'Hyperband') {
    throw validation('HyperbandStrategyConfig is only supported when Strategy is Hyperband.');
  }
  if (strategy === 'Hyperband') {
    if (early === 'Auto') throw validation('TrainingJobEarlyStoppingType Auto is not supported with the Hyperband strategy: Hyperband has its own early stopping.');
    const hb = config.StrategyConfig?.HyperbandStrategyConfig;
    // The API reference: without MaxResource, Hyperband infers it from an epochs-like static hyperparameter.
    if (hb?.MaxResource === undefined && plans.some((p) => inferMaxResource(p.definition.StaticHyperParameters) === undefined)) {
      throw validation(
        `HyperbandStrategyConfig MaxResource is required when the static hyperparameters have none of ${EPOCH_KEYS.join(', ')} to infer it from.`,
      );
    }
    if (hb?.MinResource !== undefined && hb.MaxResource !== undefined && hb.MinResource > hb.MaxResource) {
      throw validation(`HyperbandStrategyConfig MinResource (${hb.MinResource}) must not be greater than MaxResource (${hb.MaxResource}).`);
    }
  }
  if (config.TuningJobCompletionCriteria?.ConvergenceDetected && strategy === 'Grid') {
    throw validation('ConvergenceDetected is not supported for the Grid strategy.');
  }
  return plans;
}

function planDefinition(req: CreateHyperParameterTuningJobRequest, d: HyperParameterTrainingJobDefinition, multi: boolean): DefinitionPlan {
  const config = req.HyperParameterTuningJobConfig!;
  const where = multi ? ` in training job definition ${d.DefinitionName}` : '';
  const objective = d.TuningObjective ?? config.HyperParameterTuningJobObjective;
  if (!objective) throw validation(`A HyperParameterTuningJobObjective is required${where}.`);
  const ranges = (multi ? d.HyperParameterRanges : (config.ParameterRanges ?? d.HyperParameterRanges)) ?? {};
  const spec = d.AlgorithmSpecification!;
  const image = spec.TrainingImage ?? '';
  const algorithm = image ? algorithmForImage(image) : undefined;
  const custom = (spec.MetricDefinitions ?? []).some((m) => m.Name === objective.MetricName);
  if (!custom && (!algorithm || !TUNABLE[algorithm].metrics.includes(objective.MetricName!))) {
    if (!algorithm) throw validation('A metric is required for this hyperparameter tuning job objective. Provide a metric in the metric definitions.');
    throw validation(
      `The objective metric name '${objective.MetricName}' is not valid for the algorithm ${algorithm}${where}. Valid objective metrics: ${TUNABLE[algorithm].metrics.join(', ')}.`,
    );
  }
  if (!algorithm) throw validation(spec.AlgorithmName ? `Could not find algorithm "${spec.AlgorithmName}".` : INVALID_IMAGE);

  const parameters = parseRanges(ranges);
  if (!parameters.length) throw validation(`At least one hyperparameter range is required${where}.`);
  const seen = new Set<string>();
  for (const p of parameters) {
    if (seen.has(p.name)) throw validation(`The hyperparameter '${p.name}' has more than one range${where}. Each hyperparameter can have only one range.`);
    seen.add(p.name);
  }
  const statics = Object.keys(d.StaticHyperParameters ?? {});
  const both = statics.filter((k) => seen.has(k));
  if (both.length) {
    throw validation(`Hyperparameter(s) [${both.join(', ')}] are specified as both static and tunable${where}. A hyperparameter can be either static or tunable, not both.`);
  }
  const untunable = parameters.map((p) => p.name).filter((n) => !TUNABLE[algorithm].hyperParameters.includes(n));
  if (untunable.length) {
    throw validation(
      `The hyperparameter tuning job that you requested has the following untunable hyperparameters: [${untunable.join(', ')}]. For the algorithm, ${image}, you can tune only [${TUNABLE[algorithm].hyperParameters.join(', ')}].`,
    );
  }
  return { definition: d, algorithm, objective, space: { parameters, direction: objective.Type! } };
}

function number(text: string | undefined, name: string, field: string): number {
  const v = text === undefined || text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(v)) throw validation(`The ${field} '${text}' of hyperparameter '${name}' is not a valid number.`);
  return v;
}

/** The API's string ranges (the Python SDK sends "0.0001") to searcher specs, with their constraints. */
export function parseRanges(ranges: ParameterRanges): ParameterSpec[] {
  const out: ParameterSpec[] = [];
  const numeric = (type: 'Integer' | 'Continuous', r: { Name?: string; MinValue?: string; MaxValue?: string; ScalingType?: string }) => {
    const name = r.Name!;
    const min = number(r.MinValue, name, 'MinValue');
    const max = number(r.MaxValue, name, 'MaxValue');
    if (type === 'Integer' && (!Number.isInteger(min) || !Number.isInteger(max))) {
      throw validation(`The MinValue and MaxValue of integer hyperparameter '${name}' must be integers.`);
    }
    if (min > max) throw validation(`The MinValue (${r.MinValue}) of hyperparameter '${name}' is greater than its MaxValue (${r.MaxValue}).`);
    const scaling = (r.ScalingType ?? 'Auto') as ScalingType;
    if (scaling === 'Logarithmic' && min <= 0) {
      throw validation(`The hyperparameter '${name}' uses Logarithmic scaling, which requires MinValue greater than 0, but MinValue is ${r.MinValue}.`);
    }
    if (scaling === 'ReverseLogarithmic' && (min < 0 || max >= 1)) {
      throw validation(`The hyperparameter '${name}' uses ReverseLogarithmic scaling, which requires 0 <= MinValue and MaxValue < 1, but the range is [${r.MinValue}, ${r.MaxValue}].`);
    }
    if (type === 'Integer' && scaling === 'ReverseLogarithmic') {
      throw validation(`ReverseLogarithmic scaling is supported only for continuous hyperparameters, but '${name}' is an integer range.`);
    }
    out.push({ name, type, min, max, scaling });
  };
  for (const r of ranges.IntegerParameterRanges ?? []) numeric('Integer', r);
  for (const r of ranges.ContinuousParameterRanges ?? []) numeric('Continuous', r);
  for (const r of ranges.CategoricalParameterRanges ?? []) {
    const values = r.Values ?? [];
    if (new Set(values).size !== values.length) throw validation(`The categorical hyperparameter '${r.Name}' has duplicate values.`);
    out.push({ name: r.Name!, type: 'Categorical', values });
  }
  for (const a of ranges.AutoParameters ?? []) out.push(autoRange(a.Name!, a.ValueHint!));
  return out;
}

/**
 * AutoParameters give only a hint; the guide says tuning infers a range from it. Ours: a number
 * hint spans a decade either side (log-scaled when positive); an integer hint, half to twice
 * itself; anything else is a one-value categorical.
 */
function autoRange(name: string, hint: string): ParameterSpec {
  const v = Number(hint);
  if (hint.trim() === '' || !Number.isFinite(v)) return { name, type: 'Categorical', values: [hint] };
  if (/^[+-]?\d+$/.test(hint.trim())) {
    return v > 0 ? { name, type: 'Integer', min: Math.max(1, Math.floor(v / 2)), max: v * 2, scaling: 'Auto' } : { name, type: 'Integer', min: v - 10, max: v + 10, scaling: 'Linear' };
  }
  return v > 0 ? { name, type: 'Continuous', min: v / 10, max: v * 10, scaling: 'Logarithmic' } : { name, type: 'Continuous', min: v - 1, max: v + 1, scaling: 'Linear' };
}

/** The number of points of a space with only categorical and integer ranges; undefined otherwise. */
export function countCombinations(parameters: ParameterSpec[]): number | undefined {
  let n = 1;
  for (const p of parameters) {
    if (p.type === 'Continuous') return undefined;
    n *= p.type === 'Categorical' ? p.values.length : p.max - p.min + 1;
  }
  return n;
}

/** The static hyperparameters Hyperband reads MaxResource from when the config gives none (API reference). */
export const EPOCH_KEYS = ['epochs', 'numepochs', 'n-epochs', 'n_epochs', 'num_epochs'];

export function inferMaxResource(statics: Record<string, string> | undefined): number | undefined {
  for (const k of EPOCH_KEYS) {
    const v = Number(statics?.[k]);
    if (Number.isInteger(v) && v > 0) return v;
  }
  return undefined;
}

/**
 * The children's ResourceConfig. The Python SDK sends HyperParameterTuningResourceConfig instead
 * (and its attach reads ResourceConfig back from Describe), so that one fills in: its own
 * instance fields, else the first of its InstanceConfigs.
 */
export function resourceConfigOf(d: HyperParameterTrainingJobDefinition): ResourceConfig {
  if (d.ResourceConfig) return d.ResourceConfig;
  const hpo = d.HyperParameterTuningResourceConfig;
  const first = hpo?.InstanceConfigs?.[0];
  return {
    InstanceType: (hpo?.InstanceType ?? first?.InstanceType ?? 'ml.m5.large') as ResourceConfig['InstanceType'],
    InstanceCount: hpo?.InstanceCount ?? first?.InstanceCount ?? 1,
    VolumeSizeInGB: hpo?.VolumeSizeInGB ?? first?.VolumeSizeInGB ?? 30,
    ...(hpo?.VolumeKmsKeyId ? { VolumeKmsKeyId: hpo.VolumeKmsKeyId } : {}),
  };
}
