/**
 * Pipelines with a Processing step through the AWS SDK for JavaScript v3, on an image mapped to a
 * local command (so no Python environment is needed): the step's job really runs and uploads its
 * outputs; a Condition reads the job's JSON report with Std:JsonGet, by property file and by S3Uri;
 * a Fail step's message carries the values read; bad JsonGets fail the step that reads them, or
 * are refused at CreatePipeline.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  CreatePipelineCommand,
  DescribePipelineExecutionCommand,
  DescribeProcessingJobCommand,
  ListPipelineExecutionStepsCommand,
  StartPipelineExecutionCommand,
  UpdatePipelineCommand,
  type PipelineExecutionStep,
} from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, ROLE } from './helpers/clients.js';
import { removeDir, startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';

const IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/my-processor:latest';
const CONTAINER = resolve(import.meta.dirname, 'fixtures/processing/container.mjs');
const BUCKET = 'pipeline-proc';

let emu: EmulatorProcess;
let c: ReturnType<typeof clients>;
const tmp = mkdtempSync(join(tmpdir(), 'localsage-pipeline-proc-'));

beforeAll(async () => {
  const config = join(tmp, 'images.json');
  writeFileSync(config, JSON.stringify({ images: [{ image: '123456789012.dkr.ecr.*.amazonaws.com/my-processor:*', command: [process.execPath, CONTAINER] }] }));
  emu = await startEmulatorProcess({ args: ['--image-config', config], env: { LOCALSAGE_FRAMEWORK_HOME: join(tmp, 'no-frameworks'), LOCALSAGE_DOCKER: '0' } });
  c = clients(emu.url);
  await c.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await c.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'raw/a.csv', Body: '1\n2\n' }));
  await c.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'raw/sub/b.csv', Body: '10\n' }));
}, 60_000);
afterAll(async () => {
  await emu?.stop();
  removeDir(tmp);
});

const token = (s: string) => s.padEnd(32, '-');

/** Sum (the fixture container's `sum` mode writes sum.txt and nested/files.json), then a check on the report. */
function definition(expectFiles: number, path = '$.files.length', propertyFiles?: unknown[]): string {
  const sum = {
    Name: 'Sum',
    Type: 'Processing',
    Arguments: {
      RoleArn: ROLE,
      AppSpecification: { ImageUri: IMAGE, ContainerArguments: ['sum', '/opt/ml/processing/input/data', '/opt/ml/processing/output'] },
      ProcessingResources: { ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: 10 } },
      ProcessingInputs: [{ InputName: 'data', S3Input: { S3Uri: `s3://${BUCKET}/raw`, LocalPath: '/opt/ml/processing/input/data', S3DataType: 'S3Prefix', S3InputMode: 'File' } }],
      ProcessingOutputConfig: {
        Outputs: [{ OutputName: 'result', S3Output: { S3Uri: { 'Std:Join': { On: '/', Values: [`s3://${BUCKET}/out`, { Get: 'Execution.PipelineExecutionId' }] } }, LocalPath: '/opt/ml/processing/output', S3UploadMode: 'EndOfJob' } }],
      },
    },
    PropertyFiles: propertyFiles ?? [{ PropertyFileName: 'Files', OutputName: 'result', FilePath: 'nested/files.json' }],
  };
  const count = { 'Std:JsonGet': { PropertyFile: { Get: 'Steps.Sum.PropertyFiles.Files' }, Path: path } };
  const first = {
    'Std:JsonGet': {
      S3Uri: { 'Std:Join': { On: '/', Values: [{ Get: "Steps.Sum.ProcessingOutputConfig.Outputs['result'].S3Output.S3Uri" }, 'nested', 'files.json'] } },
      Path: 'files[0]',
    },
  };
  const check = {
    Name: 'Check',
    Type: 'Condition',
    Arguments: {
      Conditions: [
        { Type: 'Equals', LeftValue: count, RightValue: expectFiles },
        { Type: 'In', QueryValue: first, Values: ['a.csv', 'b.csv'] },
      ],
      IfSteps: [],
      ElseSteps: [{ Name: 'Mismatch', Type: 'Fail', Arguments: { ErrorMessage: { 'Std:Join': { On: ' ', Values: [count, 'files, the first', first] } } } }],
    },
  };
  return JSON.stringify({ Version: '2020-12-01', Steps: [sum, check] });
}

async function run(pipeline: string, seed: string) {
  const arn = (await c.sagemaker.send(new StartPipelineExecutionCommand({ PipelineName: pipeline, ClientRequestToken: token(seed) }))).PipelineExecutionArn!;
  for (;;) {
    const d = await c.sagemaker.send(new DescribePipelineExecutionCommand({ PipelineExecutionArn: arn }));
    if (!['Executing', 'Stopping'].includes(d.PipelineExecutionStatus!)) {
      const list = (await c.sagemaker.send(new ListPipelineExecutionStepsCommand({ PipelineExecutionArn: arn }))).PipelineExecutionSteps ?? [];
      const steps: Record<string, PipelineExecutionStep> = Object.fromEntries(list.map((s) => [s.StepName!, s]));
      return { arn, d, steps };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('pipelines: Processing steps and Std:JsonGet', () => {
  it('runs the processing job and branches on its report read through JsonGet', async () => {
    await c.sagemaker.send(new CreatePipelineCommand({ PipelineName: 'proc-json', PipelineDefinition: definition(2), RoleArn: ROLE, ClientRequestToken: token('create') }));
    const ok = await run('proc-json', 'ok');
    expect(ok.d.PipelineExecutionStatus).toBe('Succeeded');
    expect(ok.steps.Check!.Metadata!.Condition!.Outcome).toBe('True');
    const jobName = ok.steps.Sum!.Metadata!.ProcessingJob!.Arn!.split('/').pop()!;
    const job = await c.sagemaker.send(new DescribeProcessingJobCommand({ ProcessingJobName: jobName }));
    expect(job.ProcessingJobStatus).toBe('Completed');
    const id = ok.arn.split('/').pop();
    const report = JSON.parse(await (await c.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: `out/${id}/nested/files.json` }))).Body!.transformToString());
    expect(report).toEqual({ files: ['a.csv', 'sub/b.csv'], job: job.ProcessingJobName });
    expect(job.ProcessingJobName!.toLowerCase()).toBe(jobName);

    // Three files expected: the else branch, its message built from both JsonGet values.
    await c.sagemaker.send(new UpdatePipelineCommand({ PipelineName: 'proc-json', PipelineDefinition: definition(3) }));
    const bad = await run('proc-json', 'bad');
    expect(bad.d.PipelineExecutionStatus).toBe('Failed');
    expect(bad.steps.Check!.Metadata!.Condition!.Outcome).toBe('False');
    expect(bad.steps.Mismatch!.FailureReason).toBe('2 files, the first a.csv');
    expect(bad.d.FailureReason).toBe('Step failure: Mismatch: 2 files, the first a.csv');
  }, 120_000);

  it('fails the reading step on a path that matches nothing or a missing file', async () => {
    await c.sagemaker.send(new CreatePipelineCommand({ PipelineName: 'proc-nopath', PipelineDefinition: definition(2, '$.nothing'), RoleArn: ROLE, ClientRequestToken: token('nopath') }));
    const nopath = await run('proc-nopath', 'nopath-run');
    expect(nopath.d.PipelineExecutionStatus).toBe('Failed');
    expect(nopath.steps.Sum!.StepStatus).toBe('Succeeded');
    expect(nopath.steps.Check!.StepStatus).toBe('Failed');
    expect(nopath.steps.Check!.FailureReason).toBe('Std:JsonGet: the JsonPath $.nothing matches nothing in property file Files of step Sum.');

    const missing = [{ PropertyFileName: 'Files', OutputName: 'result', FilePath: 'nested/absent.json' }];
    await c.sagemaker.send(new CreatePipelineCommand({ PipelineName: 'proc-missing', PipelineDefinition: definition(2, '$.files.length', missing), RoleArn: ROLE, ClientRequestToken: token('missing') }));
    const gone = await run('proc-missing', 'missing-run');
    expect(gone.d.PipelineExecutionStatus).toBe('Failed');
    expect(gone.steps.Check!.FailureReason).toMatch(/^Unable to read the JSON file s3:\/\/pipeline-proc\/out\/[a-z0-9]+\/nested\/absent\.json/);
  }, 120_000);

  it('refuses at create a JsonGet of a property file the step does not declare', async () => {
    const err = await c.sagemaker
      .send(new CreatePipelineCommand({ PipelineName: 'proc-undeclared', PipelineDefinition: definition(2, '$.files.length', []), RoleArn: ROLE, ClientRequestToken: token('undeclared') }))
      .catch((e) => e);
    expect(err.name).toBe('ValidationException');
    expect(err.$metadata.httpStatusCode).toBe(400);
    expect(err.message).toBe('Unable to parse pipeline definition. Step Check reads property file Files of step Sum, which does not declare it in PropertyFiles.');
  });
});
