import { CloudWatchLogsClient, DescribeLogStreamsCommand, GetLogEventsCommand, DescribeLogGroupsCommand, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients } from './helpers/clients.js';

import { startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';
import { trainBinaryOnSeparableData } from './helpers/pipeline.js';

let emu: EmulatorProcess;
let logs: CloudWatchLogsClient;
const GROUP = '/aws/sagemaker/TrainingJobs';

beforeAll(async () => {
  emu = await startEmulatorProcess();
  const c = clients(emu.url);
  logs = new CloudWatchLogsClient({ endpoint: emu.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  const { job } = await trainBinaryOnSeparableData(c, {
    bucket: 'logs',
    name: 'logged-job',
    rows: 300,
    features: 3,
    seed: 8,
    instanceCount: 2,
    hyperParameters: { epochs: '3', num_models: '2' },
  });
  expect(job.TrainingJobStatus).toBe('Completed');
});
afterAll(async () => {
  await emu?.stop();
});

describe('CloudWatch Logs for training jobs', () => {
  it('has one stream per instance, named <job>/algo-<n>-<epoch seconds>, with no nextToken when all fit', async () => {
    const out = await logs.send(new DescribeLogStreamsCommand({ logGroupName: GROUP, logStreamNamePrefix: 'logged-job/', orderBy: 'LogStreamName' }));
    expect(out.logStreams!.map((s) => s.logStreamName)).toEqual([expect.stringMatching(/^logged-job\/algo-1-\d{10}$/), expect.stringMatching(/^logged-job\/algo-2-\d{10}$/)]);
    expect(out.nextToken).toBeUndefined();
    for (const s of out.logStreams!) expect(s.lastEventTimestamp!).toBeGreaterThanOrEqual(s.firstEventTimestamp!);
    const groups = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/sagemaker/' }));
    expect(groups.logGroups!.map((g) => g.logGroupName)).toEqual([GROUP]);
  });

  it('reads the algorithm log forward, then an empty page with the same token at the end', async () => {
    const stream = (await logs.send(new DescribeLogStreamsCommand({ logGroupName: GROUP, logStreamNamePrefix: 'logged-job/algo-1' }))).logStreams![0].logStreamName!;
    const messages: string[] = [];
    let token: string | undefined;
    for (let page = 0; page < 100; page++) {
      const out = await logs.send(new GetLogEventsCommand({ logGroupName: GROUP, logStreamName: stream, startFromHead: true, nextToken: token, limit: 5 }));
      if (!out.events!.length) {
        expect(out.nextForwardToken).toBe(token);
        break;
      }
      messages.push(...out.events!.map((e) => e.message!));
      token = out.nextForwardToken;
    }
    expect(messages.some((m) => /#quality_metric: host=algo-1, epoch=\d+, train binary_classification_cross_entropy_objective <loss>=/.test(m))).toBe(true);
    expect(messages.every((m) => /^\[\d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d (INFO|WARNING|ERROR|DEBUG) \d+\] /.test(m))).toBe(true);
    const filtered = await logs.send(new FilterLogEventsCommand({ logGroupName: GROUP, logStreamNamePrefix: 'logged-job/', filterPattern: '"#progress_metric"' }));
    expect(filtered.events!.length).toBeGreaterThan(0);
    expect(filtered.events!.every((e) => e.message!.includes('#progress_metric'))).toBe(true);
  });

  it('answers a missing group with ResourceNotFoundException', async () => {
    const e = await logs.send(new DescribeLogStreamsCommand({ logGroupName: '/aws/sagemaker/Nope' })).catch((x) => x);
    expect(e.name).toBe('ResourceNotFoundException');
    expect(e.$metadata.httpStatusCode).toBe(400);
  });
});
