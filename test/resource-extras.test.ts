import { CreateBucketCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import {
  BatchDescribeModelPackageCommand,
  CreateFeatureGroupCommand,
  CreateModelCardCommand,
  CreateModelCardExportJobCommand,
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  CreateMonitoringScheduleCommand,
  DeleteModelCardCommand,
  DeleteModelPackageGroupPolicyCommand,
  DescribeFeatureMetadataCommand,
  DescribeModelPackageGroupCommand,
  DescribeModelCardCommand,
  DescribeModelCardExportJobCommand,
  DescribeMonitoringScheduleCommand,
  GetModelPackageGroupPolicyCommand,
  ListModelCardExportJobsCommand,
  ListModelCardVersionsCommand,
  ListModelMetadataCommand,
  ListMonitoringAlertHistoryCommand,
  ListMonitoringAlertsCommand,
  ListMonitoringExecutionsCommand,
  PutModelPackageGroupPolicyCommand,
  SearchCommand,
  UpdateFeatureMetadataCommand,
  UpdateModelCardCommand,
  UpdateMonitoringAlertCommand,
} from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, rejection, ROLE } from './helpers/clients.js';
import { startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';

let emu: EmulatorProcess;
let sm: ReturnType<typeof clients>['sagemaker'];
let s3: ReturnType<typeof clients>['s3'];
const ACCOUNT = 'arn:aws:sagemaker:us-east-1:000000000000';

beforeAll(async () => {
  emu = await startEmulatorProcess();
  ({ sagemaker: sm, s3 } = clients(emu.url));
}, 60_000);
afterAll(async () => emu?.stop());

const POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Sid: 'Share', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: ['sagemaker:DescribeModelPackage'], Resource: `${ACCOUNT}:model-package/shared/*` }],
});

describe('model registry extras', () => {
  it('puts, reads and deletes a group resource policy, with the errors for a missing group or policy', async () => {
    const group = await sm.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: 'shared' }));
    const none = await rejection(sm.send(new GetModelPackageGroupPolicyCommand({ ModelPackageGroupName: 'shared' })));
    expect([none.name, none.message]).toEqual(['ValidationException', `Cannot find resource policy for: ${ACCOUNT}:model-package-group/shared`]);
    const put = await sm.send(new PutModelPackageGroupPolicyCommand({ ModelPackageGroupName: 'shared', ResourcePolicy: POLICY }));
    expect(put.ModelPackageGroupArn).toBe(group.ModelPackageGroupArn);
    expect((await sm.send(new GetModelPackageGroupPolicyCommand({ ModelPackageGroupName: 'shared' }))).ResourcePolicy).toBe(POLICY);
    const bad = await rejection(sm.send(new PutModelPackageGroupPolicyCommand({ ModelPackageGroupName: 'shared', ResourcePolicy: '{not json' })));
    expect([bad.name, bad.message]).toEqual(['ValidationException', 'The resource policy is not valid JSON.']);
    // The stored policy survives a refused put.
    expect((await sm.send(new GetModelPackageGroupPolicyCommand({ ModelPackageGroupName: 'shared' }))).ResourcePolicy).toBe(POLICY);
    await sm.send(new DeleteModelPackageGroupPolicyCommand({ ModelPackageGroupName: 'shared' }));
    // A group without a policy, and a missing group: the wordings AWS's CloudFormation handler for
    // AWS::SageMaker::ModelPackageGroup (and the Terraform provider) match.
    const deleted = await rejection(sm.send(new DeleteModelPackageGroupPolicyCommand({ ModelPackageGroupName: 'shared' })));
    expect([deleted.name, deleted.$metadata.httpStatusCode, deleted.message]).toEqual(['ValidationException', 400, `Cannot find resource policy for: ${ACCOUNT}:model-package-group/shared`]);
    const missing = await rejection(sm.send(new PutModelPackageGroupPolicyCommand({ ModelPackageGroupName: 'no-such-group', ResourcePolicy: POLICY })));
    expect([missing.name, missing.$metadata.httpStatusCode, missing.message]).toEqual(['ValidationException', 400, `Cannot find Model Package Group: ${ACCOUNT}:model-package-group/no-such-group`]);
    const noGroup = await rejection(sm.send(new GetModelPackageGroupPolicyCommand({ ModelPackageGroupName: 'no-such-group' })));
    expect([noGroup.name, noGroup.message]).toEqual(['ValidationException', `Cannot find Model Package Group: ${ACCOUNT}:model-package-group/no-such-group`]);
    // DescribeModelPackageGroup's own answer for a missing group.
    const described = await rejection(sm.send(new DescribeModelPackageGroupCommand({ ModelPackageGroupName: 'no-such-group' })));
    expect([described.name, described.$metadata.httpStatusCode, described.message]).toEqual(['ValidationException', 400, `ModelPackageGroup ${ACCOUNT}:model-package-group/no-such-group does not exist.`]);
  });

  it('describes a batch of model packages, with an error entry for each one that does not exist', async () => {
    await sm.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: 'batch' }));
    const spec = { Containers: [{ Image: '382416733822.dkr.ecr.us-east-1.amazonaws.com/linear-learner:1' }], SupportedContentTypes: ['text/csv'], SupportedResponseMIMETypes: ['application/json'] };
    const v1 = (await sm.send(new CreateModelPackageCommand({ ModelPackageGroupName: 'batch', InferenceSpecification: spec, ModelPackageDescription: 'first' }))).ModelPackageArn!;
    const v2 = (await sm.send(new CreateModelPackageCommand({ ModelPackageGroupName: 'batch', InferenceSpecification: spec, ModelApprovalStatus: 'Approved' }))).ModelPackageArn!;
    const gone = `${ACCOUNT}:model-package/batch/9`;
    const out = await sm.send(new BatchDescribeModelPackageCommand({ ModelPackageArnList: [v1, v2, gone] }));
    expect(Object.keys(out.ModelPackageSummaries!).sort()).toEqual([v1, v2].sort());
    expect(out.ModelPackageSummaries![v1]).toMatchObject({ ModelPackageGroupName: 'batch', ModelPackageVersion: 1, ModelPackageDescription: 'first', ModelApprovalStatus: 'PendingManualApproval', InferenceSpecification: spec });
    expect(out.ModelPackageSummaries![v2]).toMatchObject({ ModelPackageVersion: 2, ModelApprovalStatus: 'Approved' });
    expect(out.BatchDescribeModelPackageErrorMap).toEqual({ [gone]: { ErrorCode: 'ValidationException', ErrorResponse: `ModelPackage ${gone} does not exist.` } });
  });

  it('lists no model metadata: the public model catalogue is AWS data', async () => {
    expect((await sm.send(new ListModelMetadataCommand({}))).ModelMetadataSummaries).toEqual([]);
  });
});

describe('model card versions and exports', () => {
  it('keeps each version of a card, describes and lists them, and exports one as a PDF to S3', async () => {
    const content = (risk: string) => JSON.stringify({ model_overview: { model_description: 'churn model' }, intended_uses: { risk_rating: risk } });
    const arn = (await sm.send(new CreateModelCardCommand({ ModelCardName: 'churn-card', Content: content('Low'), ModelCardStatus: 'Draft' }))).ModelCardArn!;
    await sm.send(new UpdateModelCardCommand({ ModelCardName: 'churn-card', Content: content('Medium') }));
    await sm.send(new UpdateModelCardCommand({ ModelCardName: 'churn-card', ModelCardStatus: 'PendingReview' }));

    expect((await sm.send(new DescribeModelCardCommand({ ModelCardName: 'churn-card' }))).ModelCardVersion).toBe(3);
    const v1 = await sm.send(new DescribeModelCardCommand({ ModelCardName: 'churn-card', ModelCardVersion: 1 }));
    expect([v1.ModelCardVersion, v1.Content, v1.ModelCardStatus]).toEqual([1, content('Low'), 'Draft']);
    const v2 = await sm.send(new DescribeModelCardCommand({ ModelCardName: arn, ModelCardVersion: 2 }));
    expect([v2.Content, v2.ModelCardStatus]).toEqual([content('Medium'), 'Draft']);
    const nine = await rejection(sm.send(new DescribeModelCardCommand({ ModelCardName: 'churn-card', ModelCardVersion: 9 })));
    expect([nine.name, nine.message]).toEqual(['ResourceNotFound', `Model card ${arn} version 9 does not exist.`]);

    const all = await sm.send(new ListModelCardVersionsCommand({ ModelCardName: 'churn-card' }));
    expect(all.ModelCardVersionSummaryList!.map((v) => [v.ModelCardVersion, v.ModelCardStatus])).toEqual([[3, 'PendingReview'], [2, 'Draft'], [1, 'Draft']]);
    expect(all.ModelCardVersionSummaryList![0]).toMatchObject({ ModelCardName: 'churn-card', ModelCardArn: arn });
    const drafts = await sm.send(new ListModelCardVersionsCommand({ ModelCardName: 'churn-card', ModelCardStatus: 'Draft', SortOrder: 'Ascending', MaxResults: 1 }));
    expect(drafts.ModelCardVersionSummaryList!.map((v) => v.ModelCardVersion)).toEqual([1]);
    const next = await sm.send(new ListModelCardVersionsCommand({ ModelCardName: 'churn-card', ModelCardStatus: 'Draft', SortOrder: 'Ascending', MaxResults: 1, NextToken: drafts.NextToken }));
    expect(next.ModelCardVersionSummaryList!.map((v) => v.ModelCardVersion)).toEqual([2]);
    const noCard = await rejection(sm.send(new ListModelCardVersionsCommand({ ModelCardName: 'no-card' })));
    expect(noCard.name).toBe('ResourceNotFound');

    // Export version 2 to S3: a PDF that carries the card's content.
    await s3.send(new CreateBucketCommand({ Bucket: 'cards' }));
    const job = await sm.send(new CreateModelCardExportJobCommand({ ModelCardName: 'churn-card', ModelCardVersion: 2, ModelCardExportJobName: 'export-v2', OutputConfig: { S3OutputPath: 's3://cards/exports' } }));
    expect(job.ModelCardExportJobArn).toBe(`${arn}/export-job/export-v2`);
    let d = await sm.send(new DescribeModelCardExportJobCommand({ ModelCardExportJobArn: job.ModelCardExportJobArn }));
    for (let i = 0; d.Status === 'InProgress' && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 100));
      d = await sm.send(new DescribeModelCardExportJobCommand({ ModelCardExportJobArn: job.ModelCardExportJobArn }));
    }
    expect(d).toMatchObject({ Status: 'Completed', ModelCardName: 'churn-card', ModelCardVersion: 2, OutputConfig: { S3OutputPath: 's3://cards/exports' } });
    expect(d.ExportArtifacts!.S3ExportArtifacts).toBe('s3://cards/exports/churn-card/export-v2/churn-card-2.pdf');
    const pdf = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: 'cards', Key: 'exports/churn-card/export-v2/churn-card-2.pdf' }))).Body!.transformToByteArray());
    const text = pdf.toString('latin1');
    expect(text.startsWith('%PDF-1.4')).toBe(true);
    expect(text.trimEnd().endsWith('%%EOF')).toBe(true);
    expect(text).toContain('Version: 2');
    expect(text).toContain('"risk_rating": "Medium"');
    // The xref table points at each object.
    const xref = Number(/startxref\n(\d+)/.exec(text)![1]);
    expect(text.slice(xref, xref + 4)).toBe('xref');
    const offsets = [...text.slice(xref).matchAll(/(\d{10}) 00000 n /g)].map((m) => Number(m[1]));
    expect(offsets.length).toBeGreaterThanOrEqual(5);
    offsets.forEach((offset, i) => expect(text.slice(offset, offset + `${i + 1} 0 obj`.length)).toBe(`${i + 1} 0 obj`));

    const dup = await rejection(sm.send(new CreateModelCardExportJobCommand({ ModelCardName: 'churn-card', ModelCardExportJobName: 'export-v2', OutputConfig: { S3OutputPath: 's3://cards/exports' } })));
    expect([dup.name, dup.message]).toEqual(['ConflictException', `Model card export job ${arn}/export-job/export-v2 already exists.`]);
    // No bucket: the job fails with the reason.
    const failed = await sm.send(new CreateModelCardExportJobCommand({ ModelCardName: 'churn-card', ModelCardExportJobName: 'nowhere', OutputConfig: { S3OutputPath: 's3://no-such-bucket/x' } }));
    let f = await sm.send(new DescribeModelCardExportJobCommand({ ModelCardExportJobArn: failed.ModelCardExportJobArn }));
    for (let i = 0; f.Status === 'InProgress' && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 100));
      f = await sm.send(new DescribeModelCardExportJobCommand({ ModelCardExportJobArn: failed.ModelCardExportJobArn }));
    }
    expect(f.Status).toBe('Failed');
    expect(f.FailureReason).toContain('no-such-bucket');
    expect(f.ModelCardVersion).toBe(3);
    const listed = await sm.send(new ListModelCardExportJobsCommand({ ModelCardName: 'churn-card', SortBy: 'Name', SortOrder: 'Ascending' }));
    expect(listed.ModelCardExportJobSummaries!.map((j) => [j.ModelCardExportJobName, j.Status])).toEqual([['export-v2', 'Completed'], ['nowhere', 'Failed']]);
    expect((await sm.send(new ListModelCardExportJobsCommand({ ModelCardName: 'churn-card', StatusEquals: 'Failed' }))).ModelCardExportJobSummaries!.map((j) => j.ModelCardExportJobName)).toEqual(['nowhere']);
    const noJob = await rejection(sm.send(new DescribeModelCardExportJobCommand({ ModelCardExportJobArn: `${arn}/export-job/nope` })));
    expect([noJob.name, noJob.message]).toEqual(['ResourceNotFound', `Model card export job ${arn}/export-job/nope does not exist.`]);
    const noCardExport = await rejection(sm.send(new CreateModelCardExportJobCommand({ ModelCardName: 'no-card', ModelCardExportJobName: 'x', OutputConfig: { S3OutputPath: 's3://cards/x' } })));
    expect(noCardExport.name).toBe('ResourceNotFound');

    // A card deleted and created again starts over at version 1.
    await sm.send(new DeleteModelCardCommand({ ModelCardName: 'churn-card' }));
    await sm.send(new CreateModelCardCommand({ ModelCardName: 'churn-card', Content: content('High'), ModelCardStatus: 'Draft' }));
    const fresh = await sm.send(new ListModelCardVersionsCommand({ ModelCardName: 'churn-card' }));
    expect(fresh.ModelCardVersionSummaryList!.map((v) => v.ModelCardVersion)).toEqual([1]);
    expect((await sm.send(new DescribeModelCardCommand({ ModelCardName: 'churn-card', ModelCardVersion: 1 }))).Content).toBe(content('High'));
  });
});

describe('feature metadata', () => {
  it('describes and updates a feature of a feature group', async () => {
    const group = await sm.send(
      new CreateFeatureGroupCommand({
        FeatureGroupName: 'customers',
        RecordIdentifierFeatureName: 'id',
        EventTimeFeatureName: 'ts',
        FeatureDefinitions: [
          { FeatureName: 'id', FeatureType: 'String' },
          { FeatureName: 'ts', FeatureType: 'Fractional' },
          { FeatureName: 'age', FeatureType: 'Integral' },
        ],
        OnlineStoreConfig: { EnableOnlineStore: true },
      }),
    );
    const bare = await sm.send(new DescribeFeatureMetadataCommand({ FeatureGroupName: 'customers', FeatureName: 'age' }));
    expect(bare).toMatchObject({ FeatureGroupArn: group.FeatureGroupArn, FeatureGroupName: 'customers', FeatureName: 'age', FeatureType: 'Integral', Parameters: [] });
    expect(bare.Description).toBeUndefined();
    await sm.send(new UpdateFeatureMetadataCommand({ FeatureGroupName: 'customers', FeatureName: 'age', Description: 'age in years', ParameterAdditions: [{ Key: 'unit', Value: 'year' }, { Key: 'pii', Value: 'no' }] }));
    await sm.send(new UpdateFeatureMetadataCommand({ FeatureGroupName: group.FeatureGroupArn, FeatureName: 'age', ParameterRemovals: ['pii'] }));
    const d = await sm.send(new DescribeFeatureMetadataCommand({ FeatureGroupName: 'customers', FeatureName: 'age' }));
    expect([d.Description, d.Parameters]).toEqual(['age in years', [{ Key: 'unit', Value: 'year' }]]);
    expect(d.LastModifiedTime!.getTime()).toBeGreaterThanOrEqual(d.CreationTime!.getTime());
    const noFeature = await rejection(sm.send(new DescribeFeatureMetadataCommand({ FeatureGroupName: 'customers', FeatureName: 'height' })));
    expect([noFeature.name, noFeature.message]).toEqual(['ResourceNotFound', `Feature height does not exist in feature group ${group.FeatureGroupArn}.`]);
    const noGroup = await rejection(sm.send(new UpdateFeatureMetadataCommand({ FeatureGroupName: 'nogroup', FeatureName: 'age', Description: 'x' })));
    expect(noGroup.name).toBe('ResourceNotFound');

    // Search over feature metadata: every feature of every group, filtered on a parameter.
    const all = await sm.send(new SearchCommand({ Resource: 'FeatureMetadata', SortBy: 'FeatureName', SortOrder: 'Ascending' }));
    expect(all.Results!.map((r) => r.FeatureMetadata!.FeatureName)).toEqual(['age', 'id', 'ts']);
    const tagged = await sm.send(new SearchCommand({ Resource: 'FeatureMetadata', SearchExpression: { Filters: [{ Name: 'Parameters.unit', Operator: 'Equals', Value: 'year' }] } }));
    expect(tagged.Results).toEqual([{ FeatureMetadata: expect.objectContaining({ FeatureGroupName: 'customers', FeatureName: 'age', Description: 'age in years', FeatureType: 'Integral' }) }]);
  });
});

describe('monitoring executions and alerts', () => {
  it('answers that a schedule has run nothing: no executions, alerts or history; an alert to update is not found', async () => {
    await sm.send(
      new CreateMonitoringScheduleCommand({
        MonitoringScheduleName: 'nightly',
        MonitoringScheduleConfig: { ScheduleConfig: { ScheduleExpression: 'cron(0 * ? * * *)' }, MonitoringJobDefinitionName: 'dq-def', MonitoringType: 'DataQuality' },
      }),
    );
    const schedule = await sm.send(new DescribeMonitoringScheduleCommand({ MonitoringScheduleName: 'nightly' }));
    // Consistent with the schedule's own record: it never had an execution.
    expect(schedule.LastMonitoringExecutionSummary).toBeUndefined();
    expect((await sm.send(new ListMonitoringExecutionsCommand({ MonitoringScheduleName: 'nightly' }))).MonitoringExecutionSummaries).toEqual([]);
    expect((await sm.send(new ListMonitoringExecutionsCommand({}))).MonitoringExecutionSummaries).toEqual([]);
    expect((await sm.send(new ListMonitoringAlertsCommand({ MonitoringScheduleName: 'nightly' }))).MonitoringAlertSummaries).toEqual([]);
    expect((await sm.send(new ListMonitoringAlertHistoryCommand({ MonitoringScheduleName: 'nightly' }))).MonitoringAlertHistory).toEqual([]);
    const update = await rejection(sm.send(new UpdateMonitoringAlertCommand({ MonitoringScheduleName: 'nightly', MonitoringAlertName: 'drift', DatapointsToAlert: 1, EvaluationPeriod: 1 })));
    expect([update.name, update.message]).toEqual(['ResourceNotFound', `Monitoring alert drift does not exist for monitoring schedule ${schedule.MonitoringScheduleArn}.`]);
    const noSchedule = await rejection(sm.send(new ListMonitoringAlertsCommand({ MonitoringScheduleName: 'nope' })));
    expect(noSchedule.name).toBe('ResourceNotFound');
  });
});
