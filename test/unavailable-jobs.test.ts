import {
  AddTagsCommand,
  CreateCompilationJobCommand,
  CreateLabelingJobCommand,
  CreateWorkteamCommand,
  DeleteCompilationJobCommand,
  DescribeCompilationJobCommand,
  DescribeLabelingJobCommand,
  ListCompilationJobsCommand,
  ListLabelingJobsForWorkteamCommand,
  ListTagsCommand,
  StopCompilationJobCommand,
  StopLabelingJobCommand,
  type CreateCompilationJobCommandInput,
  type CreateLabelingJobCommandInput,
} from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, rejection, ROLE } from './helpers/clients.js';
import { removeDir, startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';

let emu: EmulatorProcess;
let c: ReturnType<typeof clients>;

beforeAll(async () => {
  emu = await startEmulatorProcess();
  c = clients(emu.url);
});
afterAll(async () => {
  await emu?.stop();
  if (emu) removeDir(emu.dataDir);
});

const compilation = (name: string): CreateCompilationJobCommandInput => ({
  CompilationJobName: name,
  RoleArn: ROLE,
  InputConfig: { S3Uri: 's3://models/model.tar.gz', Framework: 'XGBOOST', DataInputConfig: '{"data": [1, 3]}' },
  OutputConfig: { S3OutputLocation: 's3://models/compiled', TargetDevice: 'ml_c5' },
  StoppingCondition: { MaxRuntimeInSeconds: 900 },
});

async function until<T>(read: () => Promise<T>, done: (t: T) => boolean): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const t = await read();
    if (done(t)) return t;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('timed out');
}

describe('jobs localsage cannot run offline: a real lifecycle that ends Failed with the reason', () => {
  it('CompilationJob: INPROGRESS, then FAILED saying Neo does not run offline; list, stop, tags and delete', async () => {
    const { CompilationJobArn } = await c.sagemaker.send(new CreateCompilationJobCommand({ ...compilation('neo-1'), Tags: [{ Key: 'k', Value: 'v' }] }));
    expect(CompilationJobArn).toBe('arn:aws:sagemaker:us-east-1:000000000000:compilation-job/neo-1');
    const first = await c.sagemaker.send(new DescribeCompilationJobCommand({ CompilationJobName: 'neo-1' }));
    expect(first.CompilationJobStatus).toBe('INPROGRESS');
    expect(first.FailureReason).toBeDefined(); // required by the output shape; empty while running
    const failed = await until(() => c.sagemaker.send(new DescribeCompilationJobCommand({ CompilationJobName: 'neo-1' })), (d) => d.CompilationJobStatus !== 'INPROGRESS');
    expect(failed.CompilationJobStatus).toBe('FAILED');
    expect(failed.FailureReason).toMatch(/^localsage cannot compile models: SageMaker Neo/);
    expect(failed.CompilationEndTime!.getTime()).toBeGreaterThanOrEqual(failed.CompilationStartTime!.getTime());
    expect(failed.OutputConfig).toEqual(compilation('neo-1').OutputConfig);
    expect(failed.ModelArtifacts).toEqual({ S3ModelArtifacts: 's3://models/compiled' });
    expect((await c.sagemaker.send(new ListTagsCommand({ ResourceArn: CompilationJobArn }))).Tags).toEqual([{ Key: 'k', Value: 'v' }]);

    const listed = await c.sagemaker.send(new ListCompilationJobsCommand({ StatusEquals: 'FAILED' }));
    expect(listed.CompilationJobSummaries!.map((s) => [s.CompilationJobName, s.CompilationTargetDevice])).toEqual([['neo-1', 'ml_c5']]);

    const stopFailed = await rejection(c.sagemaker.send(new StopCompilationJobCommand({ CompilationJobName: 'neo-1' })));
    expect(stopFailed.name).toBe('ValidationException');
    const taken = await rejection(c.sagemaker.send(new CreateCompilationJobCommand(compilation('neo-1'))));
    expect(taken.name).toBe('ResourceInUse');

    await c.sagemaker.send(new CreateCompilationJobCommand(compilation('neo-2')));
    await c.sagemaker.send(new StopCompilationJobCommand({ CompilationJobName: 'neo-2' }));
    const stopped = await until(() => c.sagemaker.send(new DescribeCompilationJobCommand({ CompilationJobName: 'neo-2' })), (d) => d.CompilationJobStatus === 'STOPPED');
    expect(stopped.FailureReason).toBe('');

    await c.sagemaker.send(new DeleteCompilationJobCommand({ CompilationJobName: 'neo-1' }));
    const gone = await rejection(c.sagemaker.send(new DescribeCompilationJobCommand({ CompilationJobName: 'neo-1' })));
    expect(gone.name).toBe('ResourceNotFound');
    expect(gone.message).toBe('Compilation job arn:aws:sagemaker:us-east-1:000000000000:compilation-job/neo-1 does not exist.');
  });

  it('LabelingJob: no workforce offline; the work team lists it', async () => {
    const { WorkteamArn } = await c.sagemaker.send(
      new CreateWorkteamCommand({
        WorkteamName: 'labelers',
        Description: 'in-house',
        MemberDefinitions: [{ CognitoMemberDefinition: { UserPool: 'us-east-1_abc', UserGroup: 'g', ClientId: 'client' } }],
      }),
    );
    const req: CreateLabelingJobCommandInput = {
      LabelingJobName: 'label-1',
      LabelAttributeName: 'category',
      RoleArn: ROLE,
      InputConfig: { DataSource: { S3DataSource: { ManifestS3Uri: 's3://data/manifest.json' } } },
      OutputConfig: { S3OutputPath: 's3://data/labels' },
      HumanTaskConfig: {
        WorkteamArn,
        UiConfig: { UiTemplateS3Uri: 's3://data/template.liquid' },
        PreHumanTaskLambdaArn: 'arn:aws:lambda:us-east-1:432418664414:function:PRE-ImageMultiClass',
        TaskTitle: 'Classify',
        TaskDescription: 'Pick a class',
        NumberOfHumanWorkersPerDataObject: 3,
        TaskTimeLimitInSeconds: 300,
        AnnotationConsolidationConfig: { AnnotationConsolidationLambdaArn: 'arn:aws:lambda:us-east-1:432418664414:function:ACS-ImageMultiClass' },
      },
    };
    await c.sagemaker.send(new CreateLabelingJobCommand(req));
    const d = await until(() => c.sagemaker.send(new DescribeLabelingJobCommand({ LabelingJobName: 'label-1' })), (x) => x.LabelingJobStatus !== 'InProgress');
    expect(d.LabelingJobStatus).toBe('Failed');
    expect(d.FailureReason).toMatch(/^localsage has no labeling workforce/);
    expect(d.LabelCounters).toEqual({ TotalLabeled: 0, HumanLabeled: 0, MachineLabeled: 0, FailedNonRetryableError: 0, Unlabeled: 0 });
    expect(d.JobReferenceCode).toMatch(/^[0-9a-f]{32}$/);
    const forTeam = await c.sagemaker.send(new ListLabelingJobsForWorkteamCommand({ WorkteamArn }));
    expect(forTeam.LabelingJobSummaryList!.map((s) => [s.LabelingJobName, s.JobReferenceCode, s.NumberOfHumanWorkersPerDataObject])).toEqual([['label-1', d.JobReferenceCode, 3]]);
    const noTeam = await rejection(c.sagemaker.send(new ListLabelingJobsForWorkteamCommand({ WorkteamArn: `${WorkteamArn}-nope` })));
    expect(noTeam.name).toBe('ResourceNotFound');
    expect((await rejection(c.sagemaker.send(new StopLabelingJobCommand({ LabelingJobName: 'label-1' })))).name).toBe('ValidationException');
    await c.sagemaker.send(new AddTagsCommand({ ResourceArn: d.LabelingJobArn, Tags: [{ Key: 'a', Value: 'b' }] }));
    expect((await c.sagemaker.send(new ListTagsCommand({ ResourceArn: d.LabelingJobArn }))).Tags).toEqual([{ Key: 'a', Value: 'b' }]);
  });
});
