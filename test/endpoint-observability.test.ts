import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { CloudWatchLogsClient, DescribeLogStreamsCommand, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  UpdateEndpointWeightsAndCapacitiesCommand,
  waitUntilEndpointInService,
  type DataCaptureConfig,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, ModelError } from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, LINEAR_LEARNER_IMAGE, ROLE } from './helpers/clients.js';
import { startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';
import { ensureBucket, trainBinaryOnSeparableData } from './helpers/pipeline.js';

let emu: EmulatorProcess;
let c: ReturnType<typeof clients>;
let logs: CloudWatchLogsClient;

beforeAll(async () => {
  emu = await startEmulatorProcess();
  c = clients(emu.url);
  logs = new CloudWatchLogsClient({ endpoint: emu.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const { job } = await trainBinaryOnSeparableData(c, { bucket: 'observe', name: 'obs-train', rows: 300, features: 3, seed: 5, hyperParameters: { epochs: '2', num_models: '1' } });
  await ensureBucket(c.s3, 'capture');
  await c.sagemaker.send(new CreateModelCommand({ ModelName: 'obs', PrimaryContainer: { Image: LINEAR_LEARNER_IMAGE, ModelDataUrl: job.ModelArtifacts!.S3ModelArtifacts! }, ExecutionRoleArn: ROLE }));
}, 240_000);
afterAll(async () => {
  await emu?.stop();
});

async function endpoint(name: string, instances: number, capture?: DataCaptureConfig) {
  await c.sagemaker.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: name,
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'obs', InitialInstanceCount: instances, InstanceType: 'ml.m5.large' }],
      DataCaptureConfig: capture,
    }),
  );
  await c.sagemaker.send(new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: name }));
  await waitUntilEndpointInService({ client: c.sagemaker, maxWaitTime: 120, minDelay: 1, maxDelay: 1 }, { EndpointName: name });
}

const invoke = (name: string, body: string, contentType = 'text/csv', extra: { InferenceId?: string } = {}) =>
  c.runtime.send(new InvokeEndpointCommand({ EndpointName: name, Body: Buffer.from(body), ContentType: contentType, Accept: 'application/json', ...extra }));

async function captured(prefix: string): Promise<{ key: string; records: any[] }[]> {
  const listed = await c.s3.send(new ListObjectsV2Command({ Bucket: 'capture', Prefix: prefix }));
  return Promise.all(
    (listed.Contents ?? []).map(async (o) => {
      const text = await (await c.s3.send(new GetObjectCommand({ Bucket: 'capture', Key: o.Key! }))).Body!.transformToString();
      return { key: o.Key!, records: text.split('\n').filter(Boolean).map((l) => JSON.parse(l)) };
    }),
  );
}

async function until<T>(f: () => Promise<T>, ok: (t: T) => boolean): Promise<T> {
  for (let i = 0; ; i++) {
    const t = await f();
    if (ok(t) || i > 100) return t;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('endpoint logs', () => {
  it('one stream per instance, start-up and model load lines, and each ModelError with its reason in a stream the 424 names', async () => {
    await endpoint('obs-logs', 2);
    const group = '/aws/sagemaker/Endpoints/obs-logs';
    const streams = await logs.send(new DescribeLogStreamsCommand({ logGroupName: group }));
    const names = streams.logStreams!.map((s) => s.logStreamName!);
    expect(names).toHaveLength(2);
    for (const n of names) expect(n).toMatch(/^AllTraffic\/i-[0-9a-f]{17}$/);
    const first = await logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: names[0], startFromHead: true }));
    const text = first.events!.map((e) => e.message).join('\n');
    expect(text).toContain('Docker entrypoint called with argument(s): serve');
    expect(text).toContain('Model loaded successfully');

    const err = await invoke('obs-logs', 'oops,1,2').catch((e) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect(err.$metadata.httpStatusCode).toBe(424);
    expect(err.message).toContain(`#logEventViewer:group=${group} in account 000000000000`);
    const m = /:log-group:(.+):log-stream:(.+)$/.exec(err.LogStreamArn);
    expect(m?.[1]).toBe(group);
    expect(names).toContain(m![2]);
    const events = await logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: m![2], startFromHead: true }));
    const last = events.events!.at(-1)!.message!;
    expect(last).toContain('POST /invocations 400');
    expect(last).toContain(err.OriginalMessage);

    // A third instance brought into service logs its own start-up in its own stream.
    await c.sagemaker.send(new UpdateEndpointWeightsAndCapacitiesCommand({ EndpointName: 'obs-logs', DesiredWeightsAndCapacities: [{ VariantName: 'AllTraffic', DesiredInstanceCount: 3 }] }));
    await waitUntilEndpointInService({ client: c.sagemaker, maxWaitTime: 120, minDelay: 1, maxDelay: 1 }, { EndpointName: 'obs-logs' });
    const after = (await logs.send(new DescribeLogStreamsCommand({ logGroupName: group }))).logStreams!.map((s) => s.logStreamName!);
    expect(after).toHaveLength(3);
    expect(after).toEqual(expect.arrayContaining(names));
  });
});

describe('data capture', () => {
  it('writes request and response as JSON Lines under <destination>/<endpoint>/<variant>/yyyy/mm/dd/hh/', async () => {
    await endpoint('obs-capture', 1, {
      EnableCapture: true,
      InitialSamplingPercentage: 100,
      DestinationS3Uri: 's3://capture/dc',
      CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
      CaptureContentTypeHeader: { CsvContentTypes: ['text/csv'], JsonContentTypes: ['application/json'] },
    });
    const bodies = ['0.1,0.2,0.3', '1,2,3', '-1,0.5,2'];
    const answers: string[] = [];
    for (const [i, b] of bodies.entries()) {
      const out = await invoke('obs-capture', b, 'text/csv', { InferenceId: `req-${i}` });
      answers.push(Buffer.from(out.Body!).toString());
    }
    const recordio = Buffer.from([1, 2, 3]);
    await invoke('obs-capture', recordio.toString('latin1'), 'application/x-recordio-protobuf').catch(() => undefined);
    const files = await until(() => captured('dc/obs-capture/'), (f) => f.flatMap((x) => x.records).length >= 3);
    for (const f of files) expect(f.key).toMatch(/^dc\/obs-capture\/AllTraffic\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/\d{2}-\d{2}-\d{3}-[0-9a-f-]{36}\.jsonl$/);
    const records = files.flatMap((f) => f.records).sort((a, b) => a.eventMetadata.inferenceId.localeCompare(b.eventMetadata.inferenceId));
    // Only successful invocations are captured: the malformed RecordIO request is not.
    expect(records).toHaveLength(3);
    records.forEach((r, i) => {
      expect(r.eventVersion).toBe('0');
      expect(r.eventMetadata.inferenceId).toBe(`req-${i}`);
      expect(r.eventMetadata.eventId).toMatch(/^[0-9a-f-]{36}$/);
      expect(Number.isNaN(Date.parse(r.eventMetadata.inferenceTime))).toBe(false);
      expect(r.captureData.endpointInput).toEqual({ observedContentType: 'text/csv', mode: 'INPUT', data: bodies[i], encoding: 'CSV' });
      expect(r.captureData.endpointOutput).toEqual({ observedContentType: 'application/json', mode: 'OUTPUT', data: answers[i], encoding: 'JSON' });
    });
  });

  it('honours the sampling percentage and base64-encodes content types the config does not list', async () => {
    await endpoint('obs-sampled', 1, {
      InitialSamplingPercentage: 30,
      DestinationS3Uri: 's3://capture/sampled',
      CaptureOptions: [{ CaptureMode: 'Input' }],
    });
    const n = 300;
    for (let i = 0; i < n; i++) await invoke('obs-sampled', `${i},1,2`);
    // Binomial(300, 0.3): mean 90, sd ~7.9; 5 sd either side.
    const files = await until(() => captured('sampled/'), (f) => f.flatMap((x) => x.records).length >= 51);
    await new Promise((r) => setTimeout(r, 1500));
    const records = (await captured('sampled/')).flatMap((f) => f.records);
    expect(records.length).toBeGreaterThan(50);
    expect(records.length).toBeLessThan(130);
    expect(files.length).toBeGreaterThan(0);
    for (const r of records) {
      expect(r.captureData.endpointOutput).toBeUndefined();
      expect(r.captureData.endpointInput.encoding).toBe('BASE64');
      expect(Buffer.from(r.captureData.endpointInput.data, 'base64').toString()).toMatch(/^\d+,1,2$/);
    }
  });
});
