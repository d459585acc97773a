import { CreateModelCommand, CreateTransformJobCommand, DescribeTransformJobCommand } from '@aws-sdk/client-sagemaker';
import { afterAll, describe, expect, it } from 'vitest';
import { clients, LINEAR_LEARNER_IMAGE, ROLE } from './helpers/clients.js';
import { removeDir, startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';

let emu: EmulatorProcess | undefined;
afterAll(async () => {
  await emu?.stop();
  if (emu) removeDir(emu.dataDir);
});

describe('transform jobs across a restart', () => {
  it('a job the emulator was running when it died ends Failed, saying why', async () => {
    // Realistic timing: the job is still starting its instances (minutes) when the process is killed.
    emu = await startEmulatorProcess({ args: ['--timing', 'realistic'] });
    let c = clients(emu.url);
    await c.sagemaker.send(new CreateModelCommand({ ModelName: 'm', PrimaryContainer: { Image: LINEAR_LEARNER_IMAGE, ModelDataUrl: 's3://none/model.tar.gz' }, ExecutionRoleArn: ROLE }));
    await c.sagemaker.send(
      new CreateTransformJobCommand({
        TransformJobName: 'interrupted',
        ModelName: 'm',
        TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://none/in/' } } },
        TransformOutput: { S3OutputPath: 's3://none/out' },
        TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
      }),
    );
    expect((await c.sagemaker.send(new DescribeTransformJobCommand({ TransformJobName: 'interrupted' }))).TransformJobStatus).toBe('InProgress');
    await emu.kill();
    emu = await startEmulatorProcess({ dataDir: emu.dataDir });
    c = clients(emu.url);
    const job = await c.sagemaker.send(new DescribeTransformJobCommand({ TransformJobName: 'interrupted' }));
    expect(job.TransformJobStatus).toBe('Failed');
    expect(job.FailureReason).toMatch(/^InternalServerError: .*restarted/);
  }, 120_000);
});
