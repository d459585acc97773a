import {
  CreatePipelineCommand,
  DescribePipelineExecutionCommand,
  ListPipelineExecutionStepsCommand,
  StartPipelineExecutionCommand,
  StopPipelineExecutionCommand,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { describe, expect, it } from 'vitest';
import { clients } from './helpers/clients.js';
import { restartableEmulators } from './helpers/restartable.js';
import { linearLearnerDefinition, uploadBinarySplit } from './helpers/tuning.js';

const start = restartableEmulators();

/** A one-step pipeline: a slow linear-learner training job, with or without a retry policy. */
function definition(uris: Awaited<ReturnType<typeof uploadBinarySplit>>, retry: boolean): string {
  const { StaticHyperParameters, ...job } = linearLearnerDefinition('pipelines-restart', uris, { epochs: '60', mini_batch_size: '5' });
  const train = {
    Name: 'Train',
    Type: 'Training',
    Arguments: { ...job, HyperParameters: StaticHyperParameters },
    ...(retry ? { RetryPolicies: [{ ExceptionType: ['SageMaker.JOB_INTERNAL_ERROR'], IntervalSeconds: 1, BackoffRate: 1, MaxAttempts: 2 }] } : {}),
  };
  return JSON.stringify({ Version: '2020-12-01', Parameters: [], Steps: [train] });
}

async function waitFor(sm: SageMakerClient, arn: string, until: (status: string, steps: string[]) => boolean) {
  for (let i = 0; i < 2400; i++) {
    const d = await sm.send(new DescribePipelineExecutionCommand({ PipelineExecutionArn: arn }));
    const steps = (await sm.send(new ListPipelineExecutionStepsCommand({ PipelineExecutionArn: arn }))).PipelineExecutionSteps ?? [];
    if (until(d.PipelineExecutionStatus!, steps.map((s) => s.StepStatus!))) return { d, steps };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`execution ${arn} never reached the expected state`);
}

const token = (s: string) => s.padEnd(32, '-');

describe('pipeline executions across a restart (SIGKILL)', () => {
  it('a running training step fails with the restart; RetryPolicies re-run it, without one the execution fails; Stop ends in Stopped', async () => {
    const first = await start();
    let c = clients(first.url);
    const uris = await uploadBinarySplit(c.s3, 'pipelines-restart', 300);
    const arns: Record<string, string> = {};
    for (const retry of [true, false]) {
      const name = retry ? 'restart-retry' : 'restart-plain';
      await c.sagemaker.send(new CreatePipelineCommand({ PipelineName: name, PipelineDefinition: definition(uris, retry), RoleArn: 'arn:aws:iam::000000000000:role/R', ClientRequestToken: token(name) }));
      arns[name] = (await c.sagemaker.send(new StartPipelineExecutionCommand({ PipelineName: name, ClientRequestToken: token(`${name}-s`) }))).PipelineExecutionArn!;
    }
    for (const arn of Object.values(arns)) await waitFor(c.sagemaker, arn, (_s, steps) => steps[0] === 'Executing');
    await first.kill();

    const second = await start(first.dataDir);
    c = clients(second.url);
    const plain = await waitFor(c.sagemaker, arns['restart-plain']!, (s) => s !== 'Executing');
    expect(plain.d.PipelineExecutionStatus).toBe('Failed');
    expect(plain.steps[0]!.FailureReason).toMatch(/restarted/);

    const retried = await waitFor(c.sagemaker, arns['restart-retry']!, (s) => s !== 'Executing');
    expect(retried.d.PipelineExecutionStatus).toBe('Succeeded');
    expect(retried.steps[0]!.StepStatus).toBe('Succeeded');
    expect(retried.steps[0]!.AttemptCount).toBe(2);

    const again = (await c.sagemaker.send(new StartPipelineExecutionCommand({ PipelineName: 'restart-plain', ClientRequestToken: token('again') }))).PipelineExecutionArn!;
    await waitFor(c.sagemaker, again, (_s, steps) => steps[0] === 'Executing');
    await c.sagemaker.send(new StopPipelineExecutionCommand({ PipelineExecutionArn: again, ClientRequestToken: token('stop') }));
    const stopped = await waitFor(c.sagemaker, again, (s) => s !== 'Executing' && s !== 'Stopping');
    expect(stopped.d.PipelineExecutionStatus).toBe('Stopped');
    expect(stopped.steps[0]!.StepStatus).toBe('Stopped');
  }, 300_000);
});
