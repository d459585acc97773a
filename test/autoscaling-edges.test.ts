/**
 * Application Auto Scaling and CloudWatch at their edges: a SIGKILL in the middle of a scale-out,
 * errors exactly as AWS words them (from the service models and the services' own messages),
 * CloudWatch's query protocol for older clients, and what SageMaker refuses for a variant under
 * auto scaling. Real clients against a running emulator (realistic timing, --clock-scale 60).
 */
import {
  DeleteScalingPolicyCommand,
  DeregisterScalableTargetCommand,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  ListTagsForResourceCommand,
  RegisterScalableTargetCommand,
  TagResourceCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { DeleteAlarmsCommand, DescribeAlarmsCommand, GetMetricDataCommand, GetMetricStatisticsCommand, ListMetricsCommand, PutMetricAlarmCommand, PutMetricDataCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { CreateEndpointConfigCommand, DeleteEndpointCommand, DescribeEndpointCommand, UpdateEndpointCommand, UpdateEndpointWeightsAndCapacitiesCommand } from '@aws-sdk/client-sagemaker';
import { cbor, dateToTag } from '@smithy/core/cbor';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activities, deployUnderBusyStepPolicy, scalingClients, startLoad, startScalingEmulator, stepUpPolicy, until, variantIds } from './helpers/autoscaling.js';
import { clients, LINEAR_LEARNER_IMAGE } from './helpers/clients.js';
import { removeDir, startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';
import { deploy } from './helpers/pipeline.js';

const ARGS = ['--timing', 'realistic', '--clock-scale', '60'];
let emu: EmulatorProcess;
let c: ReturnType<typeof clients>;
let s: ReturnType<typeof scalingClients>;
let modelUrl: string;

beforeAll(async () => {
  ({ emu, c, s, modelUrl } = await startScalingEmulator(ARGS, { bucket: 'edges', name: 'edges-job', seed: 7 }));
}, 180_000);
afterAll(async () => {
  await emu?.stop();
  if (emu) removeDir(emu.dataDir);
});

async function error(p: Promise<unknown>): Promise<{ name: string; message: string; status?: number; code?: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as Error & { $metadata?: { httpStatusCode?: number }; Code?: string };
    return { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode, ...(err.Code ? { code: err.Code } : {}) };
  }
  throw new Error('expected the call to fail');
}

const stepPolicy = (ep: string) => stepUpPolicy(ep, 'step', 600);

describe('a restart in the middle of a scale-out', () => {
  it('SIGKILL while the new instance warms up: everything is still there and the scale-out completes', async () => {
    const ep = 'restart-scale';
    const { ScalableTargetARN, PolicyARN } = await deployUnderBusyStepPolicy(c, s, modelUrl, ep, 'step', 600);
    const load = startLoad(c.runtime, ep, { workers: 2, maxRequests: 100_000 });
    let started;
    try {
      started = (await until('a scale-out in progress', () => activities(s.aas, ep), (a) => a.some((x) => x.StatusCode === 'InProgress'))).find((x) => x.StatusCode === 'InProgress')!;
    } finally {
      await load.stop();
    }
    expect((await c.sagemaker.send(new DescribeEndpointCommand({ EndpointName: ep }))).EndpointStatus).toBe('Updating');
    // Pull the plug while the new instance is still warming up.
    await emu.kill();
    emu = await startEmulatorProcess({ dataDir: emu.dataDir, args: ARGS });
    c = clients(emu.url);
    s = scalingClients(emu.url);

    const targets = await s.aas.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'sagemaker', ResourceIds: [variantIds(ep).ResourceId] }));
    expect(targets.ScalableTargets!.map((t) => [t.ScalableTargetARN, t.MinCapacity, t.MaxCapacity])).toEqual([[ScalableTargetARN, 1, 3]]);
    const policies = await s.aas.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'sagemaker', ResourceId: variantIds(ep).ResourceId }));
    expect(policies.ScalingPolicies!.map((p) => p.PolicyARN)).toEqual([PolicyARN]);
    expect((await s.cw.send(new DescribeAlarmsCommand({ AlarmNames: [`${ep}-busy`] }))).MetricAlarms![0].AlarmActions).toEqual([PolicyARN]);
    const after = await until('the scale-out to complete after the restart', () => activities(s.aas, ep), (a) => a.some((x) => x.ActivityId === started.ActivityId && x.StatusCode === 'Successful'));
    const done = after.find((x) => x.ActivityId === started.ActivityId)!;
    expect(done.Description).toBe(started.Description);
    expect(done.StartTime).toEqual(started.StartTime);
    const endpoint = await c.sagemaker.send(new DescribeEndpointCommand({ EndpointName: ep }));
    expect(endpoint.EndpointStatus).toBe('InService');
    expect(endpoint.ProductionVariants![0].CurrentInstanceCount).toBe(endpoint.ProductionVariants![0].DesiredInstanceCount);
    expect(endpoint.ProductionVariants![0].DesiredInstanceCount).toBe(Number(/(\d+)\.$/.exec(started.Description!)![1]));
    expect(endpoint).not.toHaveProperty('CapacityChangeDoneAt');
  }, 240_000);
});

describe('SageMaker and a variant under auto scaling', () => {
  it('refuses UpdateEndpoint that retypes or removes it, refuses UpdateEndpointWeightsAndCapacities while Updating, and DeleteEndpoint deregisters it', async () => {
    const ep = 'guarded';
    await deploy(c.sagemaker, ep, LINEAR_LEARNER_IMAGE, modelUrl);
    await s.aas.send(new RegisterScalableTargetCommand({ ...variantIds(ep), MinCapacity: 1, MaxCapacity: 2 }));
    await c.sagemaker.send(
      new CreateEndpointConfigCommand({ EndpointConfigName: `${ep}-bigger`, ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: ep, InitialInstanceCount: 1, InstanceType: 'ml.c5.xlarge' }] }),
    );
    const retype = await error(c.sagemaker.send(new UpdateEndpointCommand({ EndpointName: ep, EndpointConfigName: `${ep}-bigger` })));
    expect(retype.name).toBe('ValidationException');
    expect(retype.message).toContain('"[AllTraffic]"');
    await c.sagemaker.send(new UpdateEndpointWeightsAndCapacitiesCommand({ EndpointName: ep, DesiredWeightsAndCapacities: [{ VariantName: 'AllTraffic', DesiredInstanceCount: 2 }] }));
    const busy = await error(c.sagemaker.send(new UpdateEndpointWeightsAndCapacitiesCommand({ EndpointName: ep, DesiredWeightsAndCapacities: [{ VariantName: 'AllTraffic', DesiredInstanceCount: 1 }] })));
    expect(busy).toMatchObject({ name: 'ValidationException', message: `Cannot update in-progress endpoint "arn:aws:sagemaker:us-east-1:000000000000:endpoint/${ep}".` });
    await until('InService', () => c.sagemaker.send(new DescribeEndpointCommand({ EndpointName: ep })), (e) => e.EndpointStatus === 'InService');
    await c.sagemaker.send(new DeleteEndpointCommand({ EndpointName: ep }));
    const targets = await s.aas.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'sagemaker', ResourceIds: [variantIds(ep).ResourceId] }));
    expect(targets.ScalableTargets).toEqual([]);
  }, 240_000);
});

describe('errors as AWS returns them', () => {
  it('Application Auto Scaling: model constraints, unknown targets and policies', async () => {
    const bad = await error(s.aas.send(new RegisterScalableTargetCommand({ ServiceNamespace: 'bogus' as 'sagemaker', ResourceId: 'endpoint/x/variant/y', ScalableDimension: 'sagemaker:variant:DesiredInstanceCount' })));
    expect(bad.name).toBe('ValidationException');
    expect(bad.status).toBe(400);
    expect(bad.message).toMatch(/^1 validation error detected: Value 'bogus' at 'serviceNamespace' failed to satisfy constraint: Member must satisfy enum value set: \[.*\bsagemaker\b.*\]$/);
    const ids = variantIds('never-registered');
    expect(await error(s.aas.send(stepPolicy('never-registered')))).toEqual({
      name: 'ObjectNotFoundException',
      status: 400,
      message: `No scalable target registered for service namespace: sagemaker, resource ID: ${ids.ResourceId}, scalable dimension: sagemaker:variant:DesiredInstanceCount`,
    });
    expect((await error(s.aas.send(new DeregisterScalableTargetCommand(ids)))).name).toBe('ObjectNotFoundException');
    expect((await error(s.aas.send(new DeleteScalingPolicyCommand({ ...ids, PolicyName: 'none' })))).name).toBe('ObjectNotFoundException');
    const noMin = await error(s.aas.send(new RegisterScalableTargetCommand({ ...variantIds('missing-endpoint') })));
    expect(noMin.name).toBe('ValidationException');
    const tags = await error(s.aas.send(new ListTagsForResourceCommand({ ResourceARN: 'arn:aws:application-autoscaling:us-east-1:000000000000:scalable-target/0123456789abcdef0123456789ab' })));
    expect(tags.name).toBe('ResourceNotFoundException');
  });

  it('tags a scalable target', async () => {
    const ep = 'tagged';
    await deploy(c.sagemaker, ep, LINEAR_LEARNER_IMAGE, modelUrl);
    const { ScalableTargetARN } = await s.aas.send(new RegisterScalableTargetCommand({ ...variantIds(ep), MinCapacity: 1, MaxCapacity: 2, Tags: { team: 'ml' } }));
    await s.aas.send(new TagResourceCommand({ ResourceARN: ScalableTargetARN, Tags: { stage: 'test' } }));
    expect((await s.aas.send(new ListTagsForResourceCommand({ ResourceARN: ScalableTargetARN }))).Tags).toEqual({ team: 'ml', stage: 'test' });
    const again = await error(s.aas.send(new RegisterScalableTargetCommand({ ...variantIds(ep), Tags: { x: 'y' } })));
    expect(again.message).toBe('The scalable target that you tried to tag already exists. To update tags on an existing scalable target, use the TagResource API.');
  }, 120_000);

  it('CloudWatch: ValidationError from the model, query error codes, ResourceNotFound', async () => {
    const period = await error(
      s.cw.send(new GetMetricStatisticsCommand({ Namespace: 'AWS/SageMaker', MetricName: 'Invocations', StartTime: new Date(0), EndTime: new Date(), Period: 0, Statistics: ['Sum'] })),
    );
    // The JS SDK names an error by the x-amzn-query-error code it does not model as ValidationException, and keeps the query code in Code.
    expect(period).toEqual({ name: 'ValidationException', code: 'ValidationError', status: 400, message: "1 validation error detected: Value '0' at 'period' failed to satisfy constraint: Member must have value greater than or equal to 1" });
    const order = await error(s.cw.send(new GetMetricStatisticsCommand({ Namespace: 'N', MetricName: 'M', StartTime: new Date(1000), EndTime: new Date(0), Period: 60, Statistics: ['Sum'] })));
    expect(order).toEqual({ name: 'InvalidParameterValueException', code: 'InvalidParameterValue', status: 400, message: 'The parameter StartTime must be less than the parameter EndTime.' });
    await s.cw.send(new PutMetricAlarmCommand({ AlarmName: 'manual', Namespace: 'Custom/None', MetricName: 'Quiet', Statistic: 'Sum', Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanThreshold' }));
    await s.cw.send(new SetAlarmStateCommand({ AlarmName: 'manual', StateValue: 'ALARM', StateReason: 'testing' }));
    expect((await s.cw.send(new DescribeAlarmsCommand({ AlarmNames: ['manual'] }))).MetricAlarms!.map((a) => [a.StateValue, a.StateReason])).toEqual([['ALARM', 'testing']]);
    expect((await error(s.cw.send(new SetAlarmStateCommand({ AlarmName: 'absent', StateValue: 'OK', StateReason: 'x' })))).code).toBe('ResourceNotFound');
    const missing = await error(s.cw.send(new DeleteAlarmsCommand({ AlarmNames: ['no-such-alarm'] })));
    expect(missing).toMatchObject({ code: 'ResourceNotFound', status: 404 });
  });

  it('a service localsage does not serve is named in plain words', async () => {
    const res = await fetch(emu.url, { method: 'POST', headers: { 'X-Amz-Target': 'DynamoDB_20120810.ListTables', 'Content-Type': 'application/x-amz-json-1.0' }, body: '{}' });
    expect(res.status).toBe(400);
    expect((await res.json()).message).toBe('localsage does not serve Amazon DynamoDB (X-Amz-Target DynamoDB_20120810.ListTables).');
  });
});

describe('CloudWatch metrics beyond the endpoint', () => {
  it('PutMetricData, ListMetrics and GetMetricData (JSON), and the query protocol with XML for older clients', async () => {
    const now = Date.now();
    const dims = [{ Name: 'Shop', Value: 'north' }];
    await s.cw.send(new PutMetricDataCommand({ Namespace: 'Custom/Orders', MetricData: [{ MetricName: 'Count', Dimensions: dims, Values: [1, 3], Counts: [2, 1], Unit: 'Count', Timestamp: new Date(now) }] }));
    const listed = await s.cw.send(new ListMetricsCommand({ Namespace: 'Custom/Orders' }));
    expect(listed.Metrics).toEqual([{ Namespace: 'Custom/Orders', MetricName: 'Count', Dimensions: dims }]);
    const data = await s.cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(now - 3_600_000),
        EndTime: new Date(now + 3_600_000),
        MetricDataQueries: [{ Id: 'q', MetricStat: { Metric: { Namespace: 'Custom/Orders', MetricName: 'Count', Dimensions: dims }, Period: 7200, Stat: 'Sum' } }],
      }),
    );
    expect(data.MetricDataResults!.map((r) => [r.Id, r.StatusCode, r.Values])).toEqual([['q', 'Complete', [5]]]);

    const form = new URLSearchParams({
      Action: 'GetMetricStatistics',
      Version: '2010-08-01',
      Namespace: 'Custom/Orders',
      MetricName: 'Count',
      'Dimensions.member.1.Name': 'Shop',
      'Dimensions.member.1.Value': 'north',
      StartTime: new Date(now - 3_600_000).toISOString(),
      EndTime: new Date(now + 3_600_000).toISOString(),
      Period: '7200',
      'Statistics.member.1': 'Sum',
      'Statistics.member.2': 'SampleCount',
    });
    const res = await fetch(emu.url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form });
    expect(res.status).toBe(200);
    const xml = await res.text();
    expect(xml).toContain('<GetMetricStatisticsResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">');
    const parsed = new XMLParser().parse(xml).GetMetricStatisticsResponse.GetMetricStatisticsResult;
    expect(parsed.Label).toBe('Count');
    expect(parsed.Datapoints.member).toMatchObject({ Sum: 5, SampleCount: 3, Unit: 'Count' });

    const query = (params: Record<string, string>) =>
      fetch(emu.url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ Version: '2010-08-01', ...params }) });
    const put = await query({
      Action: 'PutMetricAlarm',
      AlarmName: 'query-alarm',
      Namespace: 'Custom/Orders',
      MetricName: 'Count',
      'Dimensions.member.1.Name': 'Shop',
      'Dimensions.member.1.Value': 'north',
      Statistic: 'Sum',
      Period: '60',
      EvaluationPeriods: '2',
      Threshold: '10.5',
      ComparisonOperator: 'GreaterThanThreshold',
      ActionsEnabled: 'false',
    });
    expect(put.status).toBe(200);
    const alarmsXml = await (await query({ Action: 'DescribeAlarms', 'AlarmNames.member.1': 'query-alarm' })).text();
    const alarm = new XMLParser().parse(alarmsXml).DescribeAlarmsResponse.DescribeAlarmsResult.MetricAlarms.member;
    expect(alarm).toMatchObject({ AlarmName: 'query-alarm', Threshold: 10.5, EvaluationPeriods: 2, ActionsEnabled: false, Dimensions: { member: { Name: 'Shop', Value: 'north' } } });

    form.set('Period', 'soon');
    const bad = await fetch(emu.url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form });
    expect(bad.status).toBe(400);
    const err = new XMLParser().parse(await bad.text()).ErrorResponse.Error;
    expect(err).toMatchObject({ Type: 'Sender', Code: 'InvalidParameterValue' });
  });
});

describe('CloudWatch over Smithy RPC v2 CBOR (the Java and Go SDKs)', () => {
  const call = async (operation: string, input: unknown) => {
    const res = await fetch(`${emu.url}/service/GraniteServiceVersion20100801/operation/${operation}`, {
      method: 'POST',
      headers: { 'Smithy-Protocol': 'rpc-v2-cbor', 'Content-Type': 'application/cbor', Accept: 'application/cbor' },
      body: Buffer.from(cbor.serialize(input)),
    });
    const bytes = new Uint8Array(await res.arrayBuffer());
    return { res, body: cbor.deserialize(bytes) as Record<string, any> };
  };

  it('PutMetricData and GetMetricStatistics with tag-1 timestamps; errors with the query code', async () => {
    const at = new Date(Math.floor(Date.now() / 60_000) * 60_000);
    const put = await call('PutMetricData', { Namespace: 'Custom/Cbor', MetricData: [{ MetricName: 'Hits', Value: 4, Unit: 'Count', Timestamp: dateToTag(at) }] });
    expect(put.res.status).toBe(200);
    expect(put.res.headers.get('smithy-protocol')).toBe('rpc-v2-cbor');
    const got = await call('GetMetricStatistics', {
      Namespace: 'Custom/Cbor',
      MetricName: 'Hits',
      StartTime: dateToTag(new Date(at.getTime() - 3_600_000)),
      EndTime: dateToTag(new Date(at.getTime() + 3_600_000)),
      Period: 7200,
      Statistics: ['Sum'],
    });
    expect(got.res.status).toBe(200);
    expect(got.body.Datapoints).toHaveLength(1);
    expect(got.body.Datapoints[0]).toMatchObject({ Sum: 4, Unit: 'Count', Timestamp: { tag: 1 } });
    const missing = await call('DeleteAlarms', { AlarmNames: ['not-there'] });
    expect(missing.res.status).toBe(404);
    expect(missing.res.headers.get('x-amzn-query-error')).toBe('ResourceNotFound;Sender');
    expect(missing.body.__type).toBe('ResourceNotFound');
    const bad = await call('GetMetricStatistics', { Namespace: 'N', MetricName: 'M', StartTime: dateToTag(at), EndTime: dateToTag(at), Period: 0, Statistics: ['Sum'] });
    expect(bad.res.headers.get('x-amzn-query-error')).toBe('ValidationError;Sender');
    expect(bad.body.message).toBe("1 validation error detected: Value '0' at 'period' failed to satisfy constraint: Member must have value greater than or equal to 1");
  });
});
