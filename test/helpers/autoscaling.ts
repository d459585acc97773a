import {
  ApplicationAutoScalingClient,
  DescribeScalingActivitiesCommand,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
  type ScalingActivity,
} from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { InvokeEndpointCommand, type SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { clients, LINEAR_LEARNER_IMAGE } from './clients.js';
import { removeDir, startEmulatorProcess } from './emulator-process.js';
import { deploy, trainBinaryOnSeparableData } from './pipeline.js';

export function scalingClients(endpoint: string) {
  const config = { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 };
  return { aas: new ApplicationAutoScalingClient(config), cw: new CloudWatchClient(config) };
}

export const variantIds = (endpoint: string, variant = 'AllTraffic') =>
  ({ ServiceNamespace: 'sagemaker', ResourceId: `endpoint/${endpoint}/variant/${variant}`, ScalableDimension: 'sagemaker:variant:DesiredInstanceCount' }) as const;

/**
 * An emulator for the auto scaling suites (started with `args`, e.g. a realistic timing profile
 * played faster) with a small linear-learner model trained in it, ready to deploy. If training
 * fails the emulator is stopped here, since the caller never got hold of it.
 */
export async function startScalingEmulator(args: string[], training: { bucket: string; name: string; seed: number }) {
  const emu = await startEmulatorProcess({ args });
  try {
    const c = clients(emu.url);
    const { job } = await trainBinaryOnSeparableData(c, { ...training, rows: 200, features: 3, hyperParameters: { epochs: '1', num_models: '1' } });
    return { emu, c, s: scalingClients(emu.url), modelUrl: job.ModelArtifacts!.S3ModelArtifacts! };
  } catch (e) {
    await emu.stop();
    removeDir(emu.dataDir);
    throw e;
  }
}

/** One step of +1 instance whenever the alarm's metric is above its threshold. */
export const stepUpPolicy = (endpoint: string, policyName: string, cooldownSeconds: number) =>
  new PutScalingPolicyCommand({
    ...variantIds(endpoint),
    PolicyName: policyName,
    PolicyType: 'StepScaling',
    StepScalingPolicyConfiguration: { AdjustmentType: 'ChangeInCapacity', Cooldown: cooldownSeconds, StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }] },
  });

/** `<endpoint>-busy`: in ALARM for any minute with an invocation, acting on `policyArn`. */
export const busyAlarm = (endpoint: string, policyArn: string) =>
  new PutMetricAlarmCommand({
    AlarmName: `${endpoint}-busy`,
    Namespace: 'AWS/SageMaker',
    MetricName: 'Invocations',
    Dimensions: [
      { Name: 'EndpointName', Value: endpoint },
      { Name: 'VariantName', Value: 'AllTraffic' },
    ],
    Statistic: 'Sum',
    Period: 60,
    EvaluationPeriods: 1,
    Threshold: 1,
    ComparisonOperator: 'GreaterThanThreshold',
    AlarmActions: [policyArn],
  });

/**
 * A deployed endpoint (the model at modelUrl) registered for 1-3 instances, with a step policy
 * of +1 that `<endpoint>-busy` drives: the set-up every step-scaling scenario starts from.
 */
export async function deployUnderBusyStepPolicy(
  c: ReturnType<typeof clients>,
  s: ReturnType<typeof scalingClients>,
  modelUrl: string,
  endpoint: string,
  policyName: string,
  cooldownSeconds: number,
) {
  await deploy(c.sagemaker, endpoint, LINEAR_LEARNER_IMAGE, modelUrl);
  const { ScalableTargetARN } = await s.aas.send(new RegisterScalableTargetCommand({ ...variantIds(endpoint), MinCapacity: 1, MaxCapacity: 3 }));
  const { PolicyARN } = await s.aas.send(stepUpPolicy(endpoint, policyName, cooldownSeconds));
  await s.cw.send(busyAlarm(endpoint, PolicyARN!));
  return { ScalableTargetARN: ScalableTargetARN!, PolicyARN: PolicyARN! };
}

/**
 * A bounded loopback load: `workers` loops, each sending one request after another, until
 * stop() is called or `maxRequests` have been sent. Counts what was sent and what came back.
 */
export function startLoad(runtime: SageMakerRuntimeClient, endpointName: string, opts: { workers: number; maxRequests: number; body?: string }) {
  let running = true;
  let sent = 0;
  let ok = 0;
  let failed = 0;
  const loop = async () => {
    while (running && sent < opts.maxRequests) {
      sent++;
      try {
        await runtime.send(new InvokeEndpointCommand({ EndpointName: endpointName, Body: Buffer.from(opts.body ?? '0.1,0.2,0.3'), ContentType: 'text/csv' }));
        ok++;
      } catch {
        failed++;
      }
    }
  };
  const done = Promise.all(Array.from({ length: opts.workers }, loop));
  return {
    async stop() {
      running = false;
      await done;
      return { sent, ok, failed };
    },
    /** Waits for all `maxRequests` to be answered. */
    async finished() {
      await done;
      return { sent, ok, failed };
    },
  };
}

/** Polls until `pred` holds (no timing assertion: a generous bound only, for a hung emulator). */
export async function until<T>(what: string, f: () => Promise<T>, pred: (v: T) => boolean, timeoutMs = 120_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await f();
    if (pred(v)) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`gave up waiting for ${what}; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function activities(aas: ApplicationAutoScalingClient, endpoint: string, includeNotScaled = false): Promise<ScalingActivity[]> {
  const out = await aas.send(new DescribeScalingActivitiesCommand({ ...variantIds(endpoint), IncludeNotScaledActivities: includeNotScaled }));
  return out.ScalingActivities ?? [];
}
