import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CloudWatchLogsClient, DescribeLogStreamsCommand, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateEndpointCommand, CreateEndpointConfigCommand, CreateModelCommand, waitUntilEndpointInService, type AsyncInferenceConfig } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointAsyncCommand, InvokeEndpointCommand, InvokeEndpointWithResponseStreamCommand, ModelError } from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, LINEAR_LEARNER_IMAGE, ROLE } from './helpers/clients.js';
import { separableBinary } from './helpers/data.js';
import { removeDir, startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';
import { ensureBucket, trainBinaryOnSeparableData, upload } from './helpers/pipeline.js';

let emu: EmulatorProcess;
let c: ReturnType<typeof clients>;
let modelUrl: string;
const rows = separableBinary(400, 3, 17).x;
const csv = (r: number[][]) => r.map((x) => x.join(',')).join('\n') + '\n';

beforeAll(async () => {
  emu = await startEmulatorProcess();
  c = clients(emu.url);
  const { job } = await trainBinaryOnSeparableData(c, { bucket: 'async', name: 'async-train', rows: 300, features: 3, seed: 9, hyperParameters: { epochs: '2', num_models: '1' } });
  modelUrl = job.ModelArtifacts!.S3ModelArtifacts!;
  await setUp(c, modelUrl);
}, 240_000);
afterAll(async () => {
  await emu?.stop();
});

async function setUp(cl: ReturnType<typeof clients>, url: string, maxConcurrent = 2) {
  await cl.sagemaker.send(new CreateModelCommand({ ModelName: 'm', PrimaryContainer: { Image: LINEAR_LEARNER_IMAGE, ModelDataUrl: url }, ExecutionRoleArn: ROLE }));
  await endpoint(cl, 'realtime');
  await endpoint(cl, 'queued', { OutputConfig: { S3OutputPath: 's3://async/out', S3FailurePath: 's3://async/fail' }, ClientConfig: { MaxConcurrentInvocationsPerInstance: maxConcurrent } });
}

async function endpoint(cl: ReturnType<typeof clients>, name: string, async?: AsyncInferenceConfig) {
  await cl.sagemaker.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: name,
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'm', InitialInstanceCount: 1, InstanceType: 'ml.m5.large' }],
      AsyncInferenceConfig: async,
    }),
  );
  await cl.sagemaker.send(new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: name }));
  await waitUntilEndpointInService({ client: cl.sagemaker, maxWaitTime: 120, minDelay: 1, maxDelay: 1 }, { EndpointName: name });
}

/** Polls S3 the way an async client does until one of the locations holds an object. */
async function outcome(cl: ReturnType<typeof clients>, locations: (string | undefined)[]): Promise<{ at: string; body: string }> {
  for (let i = 0; i < 600; i++) {
    for (const at of locations) {
      if (!at) continue;
      const [, bucket, key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(at)!;
      const got = await cl.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined);
      if (got) return { at, body: await got.Body!.transformToString() };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no result at ${locations.join(' or ')}`);
}

const realtime = async (body: string, accept: string) =>
  Buffer.from((await c.runtime.send(new InvokeEndpointCommand({ EndpointName: 'realtime', Body: Buffer.from(body), ContentType: 'text/csv', Accept: accept }))).Body!).toString();

describe('InvokeEndpointAsync', () => {
  it('answers 202 with InferenceId and the output location, then writes what InvokeEndpoint answers there', async () => {
    const input = await upload(c.s3, 'async', 'in/rows.csv', csv(rows.slice(0, 20)));
    const out = await c.runtime.send(new InvokeEndpointAsyncCommand({ EndpointName: 'queued', InputLocation: input, ContentType: 'text/csv', Accept: 'application/jsonlines' }));
    expect(out.$metadata.httpStatusCode).toBe(202);
    expect(out.InferenceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.OutputLocation).toBe(`s3://async/out/${out.InferenceId}.out`);
    expect(out.FailureLocation).toBe(`s3://async/fail/${out.InferenceId}-error.out`);
    const result = await outcome(c, [out.OutputLocation, out.FailureLocation]);
    expect(result.at).toBe(out.OutputLocation);
    expect(result.body).toBe(await realtime(csv(rows.slice(0, 20)), 'application/jsonlines'));
  });

  it('a request the model refuses goes to the failure location, and the data log says why', async () => {
    const input = await upload(c.s3, 'async', 'in/bad.csv', 'x,y,z\n');
    const out = await c.runtime.send(new InvokeEndpointAsyncCommand({ EndpointName: 'queued', InputLocation: input, ContentType: 'text/csv', InferenceId: 'bad-one' }));
    expect(out.InferenceId).toBe('bad-one');
    const result = await outcome(c, [out.OutputLocation, out.FailureLocation]);
    expect(result.at).toBe('s3://async/fail/bad-one-error.out');
    expect(result.body).toContain("could not convert 'x' to a number");
    const logs = new CloudWatchLogsClient({ endpoint: emu.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const streams = await logs.send(new DescribeLogStreamsCommand({ logGroupName: '/aws/sagemaker/Endpoints/queued' }));
    const dataLog = streams.logStreams!.map((s) => s.logStreamName!).find((n) => n.endsWith('/data-log'))!;
    expect(dataLog).toMatch(/^AllTraffic\/i-[0-9a-f]{17}\/data-log$/);
    const events = await logs.send(new GetLogEventsCommand({ logGroupName: '/aws/sagemaker/Endpoints/queued', logStreamName: dataLog, startFromHead: true }));
    expect(events.events!.map((e) => e.message).join('\n')).toMatch(/Inference request failed\. InferenceId: bad-one\. Status: 400\./);
  });

  it('an endpoint without AsyncInferenceConfig refuses it; a config localsage cannot honour is refused at creation', async () => {
    const err = await c.runtime.send(new InvokeEndpointAsyncCommand({ EndpointName: 'realtime', InputLocation: 's3://async/in/rows.csv' })).catch((e) => e);
    expect(err.name).toBe('ValidationError');
    expect(err.$metadata.httpStatusCode).toBe(400);
    const refused = await c.sagemaker
      .send(
        new CreateEndpointConfigCommand({
          EndpointConfigName: 'with-sns',
          ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'm', InitialInstanceCount: 1, InstanceType: 'ml.m5.large' }],
          AsyncInferenceConfig: { OutputConfig: { S3OutputPath: 's3://async/out', NotificationConfig: { SuccessTopic: 'arn:aws:sns:us-east-1:000000000000:done' } } },
        }),
      )
      .catch((e) => e);
    expect(refused.name).toBe('ValidationException');
    expect(refused.message).toContain('NotificationConfig');
  });
});

describe('RequestTTLSeconds and InvocationTimeoutSeconds', () => {
  it('requests that wait in the queue longer than their TTL expire (one at a time), none when MaxConcurrentInvocationsPerInstance lets them all start; one running longer than InvocationTimeoutSeconds is cut off', async () => {
    // Emulator time runs 10,000 times faster: a 60 s TTL is 6 ms of queueing behind a running request.
    const fast = await startEmulatorProcess({ args: ['--clock-scale', '10000'] });
    try {
      const cl = clients(fast.url);
      await ensureBucket(cl.s3, 'async');
      const artifact = await (await c.s3.send(new GetObjectCommand({ Bucket: 'async', Key: modelUrl.replace('s3://async/', '') }))).Body!.transformToByteArray();
      await cl.s3.send(new PutObjectCommand({ Bucket: 'async', Key: 'model.tar.gz', Body: artifact }));
      await setUp(cl, 's3://async/model.tar.gz', 1);
      const input = await upload(cl.s3, 'async', 'in/rows.csv', csv(rows.slice(0, 5)));
      const sent = await Promise.all(
        Array.from({ length: 4 }, () =>
          cl.runtime.send(new InvokeEndpointAsyncCommand({ EndpointName: 'queued', InputLocation: input, ContentType: 'text/csv', RequestTTLSeconds: 60, InvocationTimeoutSeconds: 3600 })),
        ),
      );
      const results = await Promise.all(sent.map((s) => outcome(cl, [s.OutputLocation, s.FailureLocation])));
      const expired = results.filter((r) => r.at.startsWith('s3://async/fail/'));
      expect(expired.length).toBeGreaterThan(0);
      for (const r of expired) expect(r.body).toMatch(/expired: it waited \d+ s in the queue, longer than its RequestTTLSeconds of 60 s/);
      for (const r of results.filter((x) => x.at.startsWith('s3://async/out/'))) expect(r.body).toContain('predicted_label');

      // With MaxConcurrentInvocationsPerInstance 4, four requests all start at once: none waits, none expires.
      await endpoint(cl, 'wide', { OutputConfig: { S3OutputPath: 's3://async/wide', S3FailurePath: 's3://async/wide-fail' }, ClientConfig: { MaxConcurrentInvocationsPerInstance: 4 } });
      const wide = await Promise.all(
        Array.from({ length: 4 }, () =>
          cl.runtime.send(new InvokeEndpointAsyncCommand({ EndpointName: 'wide', InputLocation: input, ContentType: 'text/csv', RequestTTLSeconds: 60, InvocationTimeoutSeconds: 3600 })),
        ),
      );
      const wideResults = await Promise.all(wide.map((s) => outcome(cl, [s.OutputLocation, s.FailureLocation])));
      expect(wideResults.map((r) => r.at)).toEqual(wide.map((s) => s.OutputLocation));

      // InvocationTimeoutSeconds 1 is 0.1 ms of wall time here: a 1 MB request takes longer, and is cut off.
      const big = await upload(cl.s3, 'async', 'in/big.csv', csv(separableBinary(40_000, 3, 5).x));
      const slow = await cl.runtime.send(new InvokeEndpointAsyncCommand({ EndpointName: 'queued', InputLocation: big, ContentType: 'text/csv', InvocationTimeoutSeconds: 1 }));
      const cut = await outcome(cl, [slow.OutputLocation, slow.FailureLocation]);
      expect(cut.at).toBe(slow.FailureLocation);
      expect(cut.body).toBe(`Request ${slow.InferenceId} did not finish within its InvocationTimeoutSeconds of 1 s.`);
    } finally {
      await fast.stop();
      removeDir(fast.dataDir);
    }
  }, 120_000);
});

describe('InvokeEndpointWithResponseStream (JS SDK)', () => {
  async function read(body: string, accept: string) {
    const out = await c.runtime.send(new InvokeEndpointWithResponseStreamCommand({ EndpointName: 'realtime', Body: Buffer.from(body), ContentType: 'text/csv', Accept: accept }));
    const parts: string[] = [];
    let error: Error | undefined;
    try {
      for await (const event of out.Body!) if (event.PayloadPart) parts.push(Buffer.from(event.PayloadPart.Bytes!).toString());
    } catch (e) {
      error = e as Error;
    }
    return { out, parts, error };
  }

  it('JSON Lines: one PayloadPart per record, together what InvokeEndpoint answers', async () => {
    const body = csv(rows.slice(0, 6));
    const { out, parts, error } = await read(body, 'application/jsonlines');
    expect(error).toBeUndefined();
    expect(out.ContentType).toBe('application/jsonlines');
    expect(out.InvokedProductionVariant).toBe('AllTraffic');
    expect(parts).toHaveLength(6);
    expect(parts.join('')).toBe(await realtime(body, 'application/jsonlines'));
  });

  it('JSON: the whole answer in slices', async () => {
    const body = csv(rows);
    const { parts } = await read(body, 'application/json');
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.join('')).toBe(await realtime(body, 'application/json'));
  });

  it('a bad first record is ModelError 424; a bad later record ends the stream with ModelStreamError', async () => {
    const first = await c.runtime.send(new InvokeEndpointWithResponseStreamCommand({ EndpointName: 'realtime', Body: Buffer.from('a,b,c\n'), ContentType: 'text/csv', Accept: 'application/jsonlines' })).catch((e) => e);
    expect(first).toBeInstanceOf(ModelError);
    expect(first.$metadata.httpStatusCode).toBe(424);
    const { parts, error } = await read(`${csv(rows.slice(0, 2))}1,2,oops\n${csv(rows.slice(2, 4))}`, 'application/jsonlines');
    expect(parts).toHaveLength(2);
    expect(error?.name).toBe('ModelStreamError');
    expect(error?.message).toContain("could not convert 'oops' to a number");
    expect((error as Error & { ErrorCode?: string }).ErrorCode).toBe('StreamBroken');
  });
});
