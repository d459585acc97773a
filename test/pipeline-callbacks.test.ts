/**
 * Pipeline extras through the AWS SDK for JavaScript v3: Callback steps that wait for
 * SendPipelineExecutionStepSuccess/Failure (their outputs feeding later steps), pipeline versions,
 * and UpdatePipelineExecution.
 */
import {
  CreatePipelineCommand,
  DeletePipelineCommand,
  DescribePipelineCommand,
  DescribePipelineExecutionCommand,
  ListPipelineExecutionStepsCommand,
  ListPipelineVersionsCommand,
  RetryPipelineExecutionCommand,
  SearchCommand,
  SendPipelineExecutionStepFailureCommand,
  SendPipelineExecutionStepSuccessCommand,
  StartPipelineExecutionCommand,
  StopPipelineExecutionCommand,
  UpdatePipelineCommand,
  UpdatePipelineExecutionCommand,
  UpdatePipelineVersionCommand,
  type PipelineExecutionStep,
} from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, rejection, ROLE } from './helpers/clients.js';
import { removeDir, startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';

let emu: EmulatorProcess;
let sm: ReturnType<typeof clients>['sagemaker'];

beforeAll(async () => {
  emu = await startEmulatorProcess();
  sm = clients(emu.url).sagemaker;
}, 60_000);
afterAll(async () => emu?.stop());

const QUEUE = 'https://sqs.us-east-1.amazonaws.com/000000000000/approvals';
const output = (step: string, name: string) => ({ Get: `Steps.${step}.OutputParameters['${name}']` });

/** The SDK's CallbackStep as it serializes: SqsQueueUrl and OutputParameters beside Arguments. */
const definition = JSON.stringify({
  Version: '2020-12-01',
  Parameters: [{ Name: 'Dataset', Type: 'String', DefaultValue: 's3://data/train.csv' }],
  Steps: [
    {
      Name: 'Review',
      Type: 'Callback',
      Arguments: { dataset: { Get: 'Parameters.Dataset' } },
      SqsQueueUrl: QUEUE,
      OutputParameters: [{ OutputName: 'score', OutputType: 'Float' }, { OutputName: 'reviewer', OutputType: 'String' }],
    },
    {
      Name: 'GoodEnough',
      Type: 'Condition',
      Arguments: {
        Conditions: [{ Type: 'GreaterThanOrEqualTo', LeftValue: output('Review', 'score'), RightValue: 0.5 }],
        IfSteps: [{ Name: 'Approve', Type: 'Callback', Arguments: { by: output('Review', 'reviewer') }, SqsQueueUrl: QUEUE, OutputParameters: [] }],
        ElseSteps: [{ Name: 'Reject', Type: 'Fail', Arguments: { ErrorMessage: { 'Std:Join': { On: ' ', Values: ['rejected by', output('Review', 'reviewer')] } } } }],
      },
    },
  ],
});

async function steps(arn: string): Promise<Record<string, PipelineExecutionStep>> {
  const out = await sm.send(new ListPipelineExecutionStepsCommand({ PipelineExecutionArn: arn }));
  return Object.fromEntries(out.PipelineExecutionSteps!.map((s) => [s.StepName!, s]));
}

/** Polls until the step reaches one of the statuses (the executor ticks on the emulator clock). */
async function stepIn(arn: string, name: string, statuses: string[]): Promise<PipelineExecutionStep> {
  for (let i = 0; i < 600; i++) {
    const s = (await steps(arn))[name];
    if (s && statuses.includes(s.StepStatus!)) return s;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`step ${name} never reached ${statuses.join('/')}`);
}

async function executionEnds(arn: string) {
  for (let i = 0; i < 600; i++) {
    const d = await sm.send(new DescribePipelineExecutionCommand({ PipelineExecutionArn: arn }));
    if (!['Executing', 'Stopping'].includes(d.PipelineExecutionStatus!)) return d;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the execution never ended');
}

const REQUEST_TOKEN = 'review-answer-0000000000000000000001';
const tokenOf = (s: PipelineExecutionStep) => s.Metadata!.Callback!.CallbackToken!;

describe('Callback steps', () => {
  beforeAll(async () => {
    await sm.send(new CreatePipelineCommand({ PipelineName: 'reviewed', PipelineDefinition: definition, RoleArn: ROLE }));
  });

  it('waits with its token until the success call, whose outputs later steps read', async () => {
    const arn = (await sm.send(new StartPipelineExecutionCommand({ PipelineName: 'reviewed' }))).PipelineExecutionArn!;
    const waiting = await stepIn(arn, 'Review', ['Executing']);
    expect(waiting.Metadata!.Callback).toEqual({ CallbackToken: expect.stringMatching(/^[a-zA-Z0-9]+$/), SqsQueueUrl: QUEUE });
    const token = tokenOf(waiting);
    // Still waiting: nothing after it has started.
    expect(Object.keys(await steps(arn))).toEqual(['Review']);

    const undeclared = await rejection(sm.send(new SendPipelineExecutionStepSuccessCommand({ CallbackToken: token, OutputParameters: [{ Name: 'colour', Value: 'red' }] })));
    expect([undeclared.name, undeclared.message]).toEqual(['ValidationException', 'Output parameters colour are not declared by step Review (declared: score, reviewer).']);

    const sent = await sm.send(new SendPipelineExecutionStepSuccessCommand({ CallbackToken: token, ClientRequestToken: REQUEST_TOKEN, OutputParameters: [{ Name: 'score', Value: '0.9' }, { Name: 'reviewer', Value: 'ana' }] }));
    expect(sent.PipelineExecutionArn).toBe(arn);
    // The same request again is answered the same; a different one conflicts.
    expect((await sm.send(new SendPipelineExecutionStepSuccessCommand({ CallbackToken: token, ClientRequestToken: REQUEST_TOKEN, OutputParameters: [{ Name: 'score', Value: '0.9' }] }))).PipelineExecutionArn).toBe(arn);
    const twice = await rejection(sm.send(new SendPipelineExecutionStepFailureCommand({ CallbackToken: token, FailureReason: 'late' })));
    expect(twice.name).toBe('ConflictException');

    const review = await stepIn(arn, 'Review', ['Succeeded']);
    expect(review.Metadata!.Callback!.OutputParameters).toEqual([{ Name: 'score', Value: '0.9' }, { Name: 'reviewer', Value: 'ana' }]);
    // 0.9 >= 0.5: the If branch, a second callback, now waits; a failure call fails it and the execution.
    expect((await stepIn(arn, 'GoodEnough', ['Succeeded'])).Metadata!.Condition!.Outcome).toBe('True');
    const approve = await stepIn(arn, 'Approve', ['Executing']);
    expect((await sm.send(new SendPipelineExecutionStepFailureCommand({ CallbackToken: tokenOf(approve), FailureReason: 'legal said no' }))).PipelineExecutionArn).toBe(arn);
    const ended = await executionEnds(arn);
    expect([ended.PipelineExecutionStatus, ended.FailureReason]).toEqual(['Failed', 'Step failure: Approve: legal said no']);
    expect((await steps(arn)).Approve).toMatchObject({ StepStatus: 'Failed', FailureReason: 'legal said no' });

    // A retry runs the failed callback again under a new token; the old one answers nothing.
    await sm.send(new RetryPipelineExecutionCommand({ PipelineExecutionArn: arn, ClientRequestToken: 'retry-approve-00000000000000000000001' }));
    const again = await stepIn(arn, 'Approve', ['Executing']);
    expect(tokenOf(again)).not.toBe(tokenOf(approve));
    const stale = await rejection(sm.send(new SendPipelineExecutionStepSuccessCommand({ CallbackToken: tokenOf(approve) })));
    expect([stale.name, stale.message]).toEqual(['ConflictException', `Step Approve of pipeline execution ${arn} is not waiting for a callback (it is already answered).`]);
    await sm.send(new SendPipelineExecutionStepSuccessCommand({ CallbackToken: tokenOf(again) }));
    expect((await executionEnds(arn)).PipelineExecutionStatus).toBe('Succeeded');
    // Review kept its result from the first run.
    expect((await steps(arn)).Review.Metadata!.Callback!.CallbackToken).toBe(token);
  });

  it('takes the other branch on a low score, its message built from the callback output', async () => {
    const arn = (await sm.send(new StartPipelineExecutionCommand({ PipelineName: 'reviewed' }))).PipelineExecutionArn!;
    const token = tokenOf(await stepIn(arn, 'Review', ['Executing']));
    await sm.send(new SendPipelineExecutionStepSuccessCommand({ CallbackToken: token, OutputParameters: [{ Name: 'score', Value: '0.2' }, { Name: 'reviewer', Value: 'bo' }] }));
    const ended = await executionEnds(arn);
    expect(ended.PipelineExecutionStatus).toBe('Failed');
    expect((await steps(arn)).Reject).toMatchObject({ StepStatus: 'Failed', FailureReason: 'rejected by bo', Metadata: { Fail: { ErrorMessage: 'rejected by bo' } } });
  });

  it('stops with the execution; a token that is gone or never was is refused', async () => {
    const arn = (await sm.send(new StartPipelineExecutionCommand({ PipelineName: 'reviewed' }))).PipelineExecutionArn!;
    const token = tokenOf(await stepIn(arn, 'Review', ['Executing']));
    // While an execution runs its pipeline is not deleted (the message the SageMaker Python SDK's
    // integration tests stop executions and retry on), and the pipeline stays.
    const busy = await rejection(sm.send(new DeletePipelineCommand({ PipelineName: 'reviewed', ClientRequestToken: 'delete-while-running-0000000000000001' })));
    expect([busy.name, busy.$metadata.httpStatusCode, busy.message]).toEqual(['ValidationException', 400, 'Pipelines with running executions cannot be deleted.']);
    expect((await sm.send(new DescribePipelineCommand({ PipelineName: 'reviewed' }))).PipelineName).toBe('reviewed');
    await sm.send(new StopPipelineExecutionCommand({ PipelineExecutionArn: arn }));
    expect((await executionEnds(arn)).PipelineExecutionStatus).toBe('Stopped');
    expect((await steps(arn)).Review.StepStatus).toBe('Stopped');
    const late = await rejection(sm.send(new SendPipelineExecutionStepSuccessCommand({ CallbackToken: token })));
    expect([late.name, late.message]).toEqual(['ConflictException', `Step Review of pipeline execution ${arn} is not waiting for a callback (it is Stopped).`]);
    const unknown = await rejection(sm.send(new SendPipelineExecutionStepFailureCommand({ CallbackToken: 'nosuchtokn', FailureReason: 'x' })));
    expect([unknown.name, unknown.message, unknown.$metadata.httpStatusCode]).toEqual(['ResourceNotFound', 'Callback token nosuchtokn does not exist.', 400]);
  });

  it('updates an execution while it runs, and the change outlives the executor ticks', async () => {
    const arn = (await sm.send(new StartPipelineExecutionCommand({ PipelineName: 'reviewed', PipelineExecutionDisplayName: 'first-name' }))).PipelineExecutionArn!;
    const token = tokenOf(await stepIn(arn, 'Review', ['Executing']));
    const out = await sm.send(new UpdatePipelineExecutionCommand({ PipelineExecutionArn: arn, PipelineExecutionDisplayName: 'renamed', PipelineExecutionDescription: 'waiting on ana', ParallelismConfiguration: { MaxParallelExecutionSteps: 2 } }));
    expect(out.PipelineExecutionArn).toBe(arn);
    await sm.send(new SendPipelineExecutionStepSuccessCommand({ CallbackToken: token, OutputParameters: [{ Name: 'score', Value: '0.1' }, { Name: 'reviewer', Value: 'ana' }] }));
    const ended = await executionEnds(arn);
    expect(ended).toMatchObject({ PipelineExecutionDisplayName: 'renamed', PipelineExecutionDescription: 'waiting on ana', ParallelismConfiguration: { MaxParallelExecutionSteps: 2 } });
    const missing = await rejection(sm.send(new UpdatePipelineExecutionCommand({ PipelineExecutionArn: `${arn.slice(0, arn.lastIndexOf('/'))}/nope`, PipelineExecutionDescription: 'x' })));
    expect(missing.name).toBe('ResourceNotFound');
  });
});

describe('a cached Callback step', () => {
  it('reuses an earlier answer for the same arguments instead of waiting again', async () => {
    const cached = JSON.stringify({
      Version: '2020-12-01',
      Parameters: [{ Name: 'Dataset', Type: 'String', DefaultValue: 's3://data/a.csv' }],
      Steps: [{ Name: 'Review', Type: 'Callback', Arguments: { dataset: { Get: 'Parameters.Dataset' } }, SqsQueueUrl: QUEUE, CacheConfig: { Enabled: true, ExpireAfter: 'P1D' }, OutputParameters: [{ OutputName: 'reviewer', OutputType: 'String' }] }],
    });
    await sm.send(new CreatePipelineCommand({ PipelineName: 'cached-review', PipelineDefinition: cached, RoleArn: ROLE }));
    const first = (await sm.send(new StartPipelineExecutionCommand({ PipelineName: 'cached-review' }))).PipelineExecutionArn!;
    await sm.send(new SendPipelineExecutionStepSuccessCommand({ CallbackToken: tokenOf(await stepIn(first, 'Review', ['Executing'])), OutputParameters: [{ Name: 'reviewer', Value: 'ana' }] }));
    expect((await executionEnds(first)).PipelineExecutionStatus).toBe('Succeeded');
    const second = (await sm.send(new StartPipelineExecutionCommand({ PipelineName: 'cached-review' }))).PipelineExecutionArn!;
    expect((await executionEnds(second)).PipelineExecutionStatus).toBe('Succeeded');
    const review = (await steps(second)).Review;
    expect(review.CacheHitResult).toEqual({ SourcePipelineExecutionArn: first });
    expect(review.Metadata!.Callback!.OutputParameters).toEqual([{ Name: 'reviewer', Value: 'ana' }]);
    // Other arguments: no cache hit, the step waits.
    const third = (await sm.send(new StartPipelineExecutionCommand({ PipelineName: 'cached-review', PipelineParameters: [{ Name: 'Dataset', Value: 's3://data/b.csv' }] }))).PipelineExecutionArn!;
    expect((await stepIn(third, 'Review', ['Executing'])).CacheHitResult).toBeUndefined();
    await sm.send(new StopPipelineExecutionCommand({ PipelineExecutionArn: third }));
  });
});

describe('a Callback step across a restart (SIGKILL)', () => {
  it('still waits with the same token after the restart, and the answer completes the execution', async () => {
    const first = await startEmulatorProcess();
    let second: EmulatorProcess | undefined;
    try {
      let client = clients(first.url).sagemaker;
      await client.send(new CreatePipelineCommand({ PipelineName: 'restart-cb', PipelineDefinition: definition, RoleArn: ROLE }));
      const arn = (await client.send(new StartPipelineExecutionCommand({ PipelineName: 'restart-cb' }))).PipelineExecutionArn!;
      let token: string | undefined;
      for (let i = 0; i < 600 && !token; i++) {
        const review = (await client.send(new ListPipelineExecutionStepsCommand({ PipelineExecutionArn: arn }))).PipelineExecutionSteps!.find((s) => s.StepName === 'Review');
        token = review?.StepStatus === 'Executing' ? review.Metadata!.Callback!.CallbackToken : undefined;
        if (!token) await new Promise((r) => setTimeout(r, 100));
      }
      await first.kill();
      second = await startEmulatorProcess({ dataDir: first.dataDir });
      client = clients(second.url).sagemaker;
      const review = (await client.send(new ListPipelineExecutionStepsCommand({ PipelineExecutionArn: arn }))).PipelineExecutionSteps!.find((s) => s.StepName === 'Review')!;
      expect([review.StepStatus, review.Metadata!.Callback!.CallbackToken]).toEqual(['Executing', token]);
      await client.send(new SendPipelineExecutionStepSuccessCommand({ CallbackToken: token!, OutputParameters: [{ Name: 'score', Value: '0' }, { Name: 'reviewer', Value: 'cy' }] }));
      let status = 'Executing';
      for (let i = 0; i < 600 && status === 'Executing'; i++) {
        status = (await client.send(new DescribePipelineExecutionCommand({ PipelineExecutionArn: arn }))).PipelineExecutionStatus!;
        if (status === 'Executing') await new Promise((r) => setTimeout(r, 100));
      }
      // Score 0: the Else branch's Fail step, its message from the callback's output.
      expect(status).toBe('Failed');
      expect((await client.send(new DescribePipelineExecutionCommand({ PipelineExecutionArn: arn }))).FailureReason).toBe('Step failure: Reject: rejected by cy');
    } finally {
      await second?.stop();
      await first.stop();
      removeDir(first.dataDir);
    }
  }, 120_000);
});

describe('pipeline versions', () => {
  it('keeps each version, describes an old one, names versions, and links the last execution of each', async () => {
    const v1Definition = JSON.stringify({ Version: '2020-12-01', Steps: [{ Name: 'Stop', Type: 'Fail', Arguments: { ErrorMessage: 'v1' } }] });
    const v2Definition = JSON.stringify({ Version: '2020-12-01', Steps: [{ Name: 'Stop', Type: 'Fail', Arguments: { ErrorMessage: 'v2' } }] });
    const arn = (await sm.send(new CreatePipelineCommand({ PipelineName: 'versioned', PipelineDefinition: v1Definition, RoleArn: ROLE }))).PipelineArn!;
    const first = (await sm.send(new StartPipelineExecutionCommand({ PipelineName: 'versioned' }))).PipelineExecutionArn!;
    const updated = await sm.send(new UpdatePipelineCommand({ PipelineName: 'versioned', PipelineDefinition: v2Definition }));
    expect(updated).toMatchObject({ PipelineArn: arn, PipelineVersionId: 2 });
    const second = (await sm.send(new StartPipelineExecutionCommand({ PipelineName: 'versioned' }))).PipelineExecutionArn!;
    expect((await sm.send(new DescribePipelineExecutionCommand({ PipelineExecutionArn: second }))).PipelineVersionId).toBe(2);

    const list = await sm.send(new ListPipelineVersionsCommand({ PipelineName: 'versioned' }));
    expect(list.PipelineVersionSummaries!.map((v) => [v.PipelineVersionId, v.LastExecutionPipelineExecutionArn])).toEqual([[2, second], [1, first]]);
    expect(list.PipelineVersionSummaries![0].PipelineArn).toBe(arn);
    const ascending = await sm.send(new ListPipelineVersionsCommand({ PipelineName: arn, SortOrder: 'Ascending', MaxResults: 1 }));
    expect(ascending.PipelineVersionSummaries!.map((v) => v.PipelineVersionId)).toEqual([1]);
    expect(ascending.NextToken).toBeTruthy();

    expect((await sm.send(new DescribePipelineCommand({ PipelineName: 'versioned', PipelineVersionId: 1 }))).PipelineDefinition).toBe(v1Definition);
    expect((await sm.send(new DescribePipelineCommand({ PipelineName: 'versioned' }))).PipelineDefinition).toBe(v2Definition);

    const named = await sm.send(new UpdatePipelineVersionCommand({ PipelineArn: arn, PipelineVersionId: 1, PipelineVersionDisplayName: 'baseline', PipelineVersionDescription: 'the first one' }));
    expect(named).toEqual({ $metadata: expect.anything(), PipelineArn: arn, PipelineVersionId: 1 });
    expect(await sm.send(new DescribePipelineCommand({ PipelineName: 'versioned', PipelineVersionId: 1 }))).toMatchObject({ PipelineVersionDisplayName: 'baseline', PipelineVersionDescription: 'the first one' });
    expect((await sm.send(new ListPipelineVersionsCommand({ PipelineName: 'versioned', SortOrder: 'Ascending' }))).PipelineVersionSummaries![0]).toMatchObject({ PipelineVersionDisplayName: 'baseline' });

    // Starting version 1 runs version 1's definition: its Fail step says v1.
    const old = (await sm.send(new StartPipelineExecutionCommand({ PipelineName: 'versioned', PipelineVersionId: 1 }))).PipelineExecutionArn!;
    const oldRun = await executionEnds(old);
    expect([oldRun.PipelineVersionId, oldRun.FailureReason]).toEqual([1, 'Step failure: Stop: v1']);
    expect((await executionEnds(second)).FailureReason).toBe('Step failure: Stop: v2');
    expect((await sm.send(new ListPipelineVersionsCommand({ PipelineName: 'versioned', SortOrder: 'Ascending' }))).PipelineVersionSummaries![0].LastExecutionPipelineExecutionArn).toBe(old);
    const noStart = await rejection(sm.send(new StartPipelineExecutionCommand({ PipelineName: 'versioned', PipelineVersionId: 7 })));
    expect([noStart.name, noStart.message]).toEqual(['ResourceNotFound', `Pipeline version 7 of pipeline '${arn}' does not exist.`]);

    // Search over pipeline versions: the named one, with its last execution's status.
    const found = await sm.send(new SearchCommand({ Resource: 'PipelineVersion', SearchExpression: { Filters: [{ Name: 'PipelineVersionDisplayName', Operator: 'Equals', Value: 'baseline' }] } }));
    expect(found.Results).toEqual([
      { PipelineVersion: expect.objectContaining({ PipelineArn: arn, PipelineVersionId: 1, PipelineVersionDescription: 'the first one', LastExecutedPipelineExecutionArn: old, LastExecutedPipelineExecutionStatus: 'Failed' }) },
    ]);

    const noVersion = await rejection(sm.send(new DescribePipelineCommand({ PipelineName: 'versioned', PipelineVersionId: 7 })));
    expect([noVersion.name, noVersion.message]).toEqual(['ResourceNotFound', `Pipeline version 7 of pipeline '${arn}' does not exist.`]);
    const noPipeline = await rejection(sm.send(new ListPipelineVersionsCommand({ PipelineName: 'nope' })));
    expect(noPipeline.name).toBe('ResourceNotFound');
  });
});
