import { CreateAutoMLJobV2Command, DescribeAutoMLJobV2Command, ListCandidatesForAutoMLJobCommand } from '@aws-sdk/client-sagemaker';
import { describe, expect, it } from 'vitest';
import { clients, ROLE } from './helpers/clients.js';
import { separableBinary } from './helpers/data.js';
import { restartableEmulators } from './helpers/restartable.js';
import { ensureBucket, upload } from './helpers/pipeline.js';

const start = restartableEmulators();

describe('AutoML across a restart', () => {
  it('SIGKILL while candidates train: the job resumes, re-runs the killed candidates and completes its budget', async () => {
    const first = await start();
    let c = clients(first.url);
    await ensureBucket(c.s3, 'automl-restart');
    const data = separableBinary(1500, 4, 8);
    const csv = ['a,b,c,d,y', ...data.x.map((r, i) => [...r.map((v) => v.toFixed(4)), data.y[i]].join(','))].join('\n');
    await upload(c.s3, 'automl-restart', 'in/data.csv', csv);
    const name = 'automl-restart';
    await c.sagemaker.send(
      new CreateAutoMLJobV2Command({
        AutoMLJobName: name,
        AutoMLJobInputDataConfig: [{ ChannelType: 'training', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://automl-restart/in/' } } }],
        OutputDataConfig: { S3OutputPath: 's3://automl-restart/out' },
        AutoMLProblemTypeConfig: {
          TabularJobConfig: { TargetAttributeName: 'y', CompletionCriteria: { MaxCandidates: 2 }, CandidateGenerationConfig: { AlgorithmsConfig: [{ AutoMLAlgorithms: ['linear-learner'] }] } },
        },
        RoleArn: ROLE,
      }),
    );
    let running = false;
    for (let i = 0; i < 1000 && !running; i++) {
      const { Candidates } = await c.sagemaker.send(new ListCandidatesForAutoMLJobCommand({ AutoMLJobName: name }));
      running = Candidates!.some((x) => x.CandidateStatus === 'InProgress');
      if (!running) await new Promise((r) => setTimeout(r, 20));
    }
    expect(running).toBe(true);
    await first.kill();

    const second = await start(first.dataDir);
    c = clients(second.url);
    let d;
    for (let i = 0; i < 2400; i++) {
      d = await c.sagemaker.send(new DescribeAutoMLJobV2Command({ AutoMLJobName: name }));
      if (d.AutoMLJobStatus !== 'InProgress') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(d!.AutoMLJobStatus, d!.FailureReason).toBe('Completed');
    const { Candidates } = await c.sagemaker.send(new ListCandidatesForAutoMLJobCommand({ AutoMLJobName: name, MaxResults: 100 }));
    const killed = Candidates!.filter((x) => x.CandidateStatus === 'Failed');
    expect(killed.length).toBeGreaterThanOrEqual(1);
    for (const k of killed) expect(k.FailureReason).toMatch(/restarted/);
    // Two configurations completed, whatever was killed on the way.
    expect(Candidates!.filter((x) => x.CandidateStatus === 'Completed')).toHaveLength(2);
    expect(d!.PartialFailureReasons!.length).toBe(killed.length);
    expect(d!.BestCandidate!.CandidateStatus).toBe('Completed');
  });
});
