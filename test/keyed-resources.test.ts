/**
 * The other keyed resources through the JS SDK: image versions, hub contents, the families with
 * identifiers the service assigns (compute quotas, MLflow and partner apps), resource catalogs and
 * search suggestions.
 */
import {
  CreateComputeQuotaCommand,
  CreateHubCommand,
  CreateHubContentReferenceCommand,
  CreateImageCommand,
  CreateImageVersionCommand,
  CreateMlflowAppCommand,
  CreatePartnerAppCommand,
  DeleteComputeQuotaCommand,
  DeleteHubContentCommand,
  DeleteHubContentReferenceCommand,
  DeleteImageCommand,
  DeleteImageVersionCommand,
  DeleteMlflowAppCommand,
  DeletePartnerAppCommand,
  DescribeComputeQuotaCommand,
  DescribeHubContentCommand,
  DescribeImageVersionCommand,
  DescribeMlflowAppCommand,
  DescribePartnerAppCommand,
  GetSearchSuggestionsCommand,
  ImportHubContentCommand,
  ListAliasesCommand,
  ListComputeQuotasCommand,
  ListHubContentVersionsCommand,
  ListHubContentsCommand,
  ListImageVersionsCommand,
  ListMlflowAppsCommand,
  ListPartnerAppsCommand,
  ListResourceCatalogsCommand,
  ListTagsCommand,
  UpdateComputeQuotaCommand,
  UpdateHubContentCommand,
  UpdateHubContentReferenceCommand,
  UpdateImageVersionCommand,
  UpdateMlflowAppCommand,
  UpdatePartnerAppCommand,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, rejection, ROLE } from './helpers/clients.js';
import { startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';
import { until, untilGone } from './helpers/settle.js';

let emu: EmulatorProcess;
let sm: SageMakerClient;
const ACCOUNT = '000000000000';
const CLUSTER = `arn:aws:sagemaker:us-east-1:${ACCOUNT}:cluster/abcdef123456`;

beforeAll(async () => {
  emu = await startEmulatorProcess();
  sm = clients(emu.url).sagemaker;
}, 60_000);
afterAll(async () => emu?.stop());

describe('image versions', () => {
  it('numbers versions per image, resolves aliases and never reuses a number', async () => {
    await sm.send(new CreateImageCommand({ ImageName: 'my-image', RoleArn: ROLE }));
    const base = '123456789012.dkr.ecr.us-east-1.amazonaws.com/my-image:';
    const v1 = await sm.send(new CreateImageVersionCommand({ ImageName: 'my-image', BaseImage: `${base}1`, ClientToken: 't1', Aliases: ['stable'] }));
    expect(v1.ImageVersionArn).toBe(`arn:aws:sagemaker:us-east-1:${ACCOUNT}:image-version/my-image/1`);
    await sm.send(new CreateImageVersionCommand({ ImageName: 'my-image', BaseImage: `${base}2`, ClientToken: 't2', JobType: 'TRAINING' }));
    const clash = await rejection(sm.send(new CreateImageVersionCommand({ ImageName: 'my-image', BaseImage: `${base}3`, ClientToken: 't3', Aliases: ['stable'] })));
    expect(clash.name).toBe('ResourceInUse');

    const latest = await until(() => sm.send(new DescribeImageVersionCommand({ ImageName: 'my-image' })), (v) => v.ImageVersionStatus === 'CREATED');
    expect([latest.Version, latest.BaseImage, latest.JobType]).toEqual([2, `${base}2`, 'TRAINING']);
    const byAlias = await sm.send(new DescribeImageVersionCommand({ ImageName: 'my-image', Alias: 'stable' }));
    expect([byAlias.Version, byAlias.ImageArn]).toEqual([1, `arn:aws:sagemaker:us-east-1:${ACCOUNT}:image/my-image`]);

    await sm.send(new UpdateImageVersionCommand({ ImageName: 'my-image', Version: 2, AliasesToAdd: ['latest', 'v2'], ReleaseNotes: 'second' }));
    await sm.send(new UpdateImageVersionCommand({ ImageName: 'my-image', Alias: 'stable', AliasesToDelete: ['stable'], AliasesToAdd: ['old'] }));
    expect((await sm.send(new ListAliasesCommand({ ImageName: 'my-image' }))).SageMakerImageVersionAliases).toEqual(['old', 'latest', 'v2']);
    expect((await sm.send(new ListAliasesCommand({ ImageName: 'my-image', Version: 2 }))).SageMakerImageVersionAliases).toEqual(['latest', 'v2']);
    expect((await sm.send(new DescribeImageVersionCommand({ ImageName: 'my-image', Version: 2 }))).ReleaseNotes).toBe('second');

    await sm.send(new DeleteImageVersionCommand({ ImageName: 'my-image', Version: 2 }));
    const gone = await untilGone(() => sm.send(new DescribeImageVersionCommand({ ImageName: 'my-image', Version: 2 })));
    expect(gone.name).toBe('ResourceNotFound');
    const v3 = await sm.send(new CreateImageVersionCommand({ ImageName: 'my-image', BaseImage: `${base}3`, ClientToken: 't4' }));
    expect(v3.ImageVersionArn).toMatch(/image-version\/my-image\/3$/);
    const page = await sm.send(new ListImageVersionsCommand({ ImageName: 'my-image', SortBy: 'VERSION', SortOrder: 'ASCENDING', MaxResults: 1 }));
    expect(page.ImageVersions!.map((v) => v.Version)).toEqual([1]);
    const next = await sm.send(new ListImageVersionsCommand({ ImageName: 'my-image', SortBy: 'VERSION', SortOrder: 'ASCENDING', NextToken: page.NextToken }));
    expect(next.ImageVersions!.map((v) => v.Version)).toEqual([3]);

    const noImage = await rejection(sm.send(new CreateImageVersionCommand({ ImageName: 'nope', BaseImage: `${base}1`, ClientToken: 't5' })));
    expect(noImage.name).toBe('ResourceNotFound');
    // Deleting the image takes its versions with it.
    await sm.send(new DeleteImageCommand({ ImageName: 'my-image' }));
    expect((await untilGone(() => sm.send(new ListImageVersionsCommand({ ImageName: 'my-image' })))).name).toBe('ResourceNotFound');
  });
});

describe('hub contents', () => {
  it('imports versions, answers the latest, lists and deletes, and keeps references', async () => {
    await sm.send(new CreateHubCommand({ HubName: 'private-hub', HubDescription: 'ours' }));
    const doc = JSON.stringify({ Url: 's3://bucket/model.tar.gz' });
    const common = { HubName: 'private-hub', HubContentType: 'Model' as const, DocumentSchemaVersion: '2.0.0', HubContentDocument: doc };
    const one = await sm.send(new ImportHubContentCommand({ ...common, HubContentName: 'churn', HubContentVersion: '1.2.0', Tags: [{ Key: 'k', Value: 'v' }] }));
    expect(one.HubContentArn).toBe(`arn:aws:sagemaker:us-east-1:${ACCOUNT}:hub-content/private-hub/Model/churn/1.2.0`);
    expect(one.HubArn).toBe(`arn:aws:sagemaker:us-east-1:${ACCOUNT}:hub/private-hub`);
    await sm.send(new ImportHubContentCommand({ ...common, HubContentName: 'churn', HubContentVersion: '1.10.0', HubContentDisplayName: 'Churn' }));
    await sm.send(new ImportHubContentCommand({ ...common, HubContentName: 'fraud' }));
    const dup = await rejection(sm.send(new ImportHubContentCommand({ ...common, HubContentName: 'fraud', HubContentVersion: '1.0.0' })));
    expect(dup.name).toBe('ResourceInUse');

    const latest = await until(
      () => sm.send(new DescribeHubContentCommand({ HubName: 'private-hub', HubContentType: 'Model', HubContentName: 'churn' })),
      (c) => c.HubContentStatus === 'Available',
    );
    expect([latest.HubContentVersion, latest.HubContentDisplayName, latest.HubContentDocument]).toEqual(['1.10.0', 'Churn', doc]);
    const listed = await sm.send(new ListHubContentsCommand({ HubName: 'private-hub', HubContentType: 'Model', SortBy: 'HubContentName' }));
    expect(listed.HubContentSummaries!.map((s) => [s.HubContentName, s.HubContentVersion])).toEqual([
      ['churn', '1.10.0'],
      ['fraud', '1.0.0'],
    ]);
    // The hub by its ARN too (HubNameOrArn).
    const byArn = await sm.send(new ListHubContentsCommand({ HubName: one.HubArn, HubContentType: 'Model' }));
    expect(byArn.HubContentSummaries!.length).toBe(2);
    const otherHub = `arn:aws:sagemaker:us-east-1:${ACCOUNT}:hub/other-hub`;
    const notHub = await rejection(sm.send(new ListHubContentsCommand({ HubName: otherHub, HubContentType: 'Model' })));
    expect([notHub.name, notHub.message]).toEqual(['ResourceNotFound', `Hub ${otherHub} does not exist.`]);
    const versions = await sm.send(new ListHubContentVersionsCommand({ HubName: 'private-hub', HubContentType: 'Model', HubContentName: 'churn', MinVersion: '1.3.0' }));
    expect(versions.HubContentSummaries!.map((s) => s.HubContentVersion)).toEqual(['1.10.0']);
    expect((await sm.send(new ListTagsCommand({ ResourceArn: one.HubContentArn }))).Tags).toEqual([{ Key: 'k', Value: 'v' }]);

    await sm.send(
      new UpdateHubContentCommand({ HubName: 'private-hub', HubContentType: 'Model', HubContentName: 'churn', HubContentVersion: '1.2.0', SupportStatus: 'Deprecated' }),
    );
    const old = await sm.send(new DescribeHubContentCommand({ HubName: 'private-hub', HubContentType: 'Model', HubContentName: 'churn', HubContentVersion: '1.2.0' }));
    expect(old.SupportStatus).toBe('Deprecated');
    await sm.send(new DeleteHubContentCommand({ HubName: 'private-hub', HubContentType: 'Model', HubContentName: 'churn', HubContentVersion: '1.10.0' }));
    expect((await sm.send(new DescribeHubContentCommand({ HubName: 'private-hub', HubContentType: 'Model', HubContentName: 'churn' }))).HubContentVersion).toBe('1.2.0');
    const missing = await rejection(sm.send(new DescribeHubContentCommand({ HubName: 'private-hub', HubContentType: 'Notebook', HubContentName: 'churn' })));
    expect(missing.name).toBe('ResourceNotFound');
    const noHub = await rejection(sm.send(new ImportHubContentCommand({ ...common, HubName: 'no-hub', HubContentName: 'x' })));
    expect(noHub.name).toBe('ResourceNotFound');
    expect(noHub.message).toBe(`Hub arn:aws:sagemaker:us-east-1:${ACCOUNT}:hub/no-hub does not exist.`);

    const publicArn = 'arn:aws:sagemaker:us-east-1:aws:hub-content/SageMakerPublicHub/Model/huggingface-llm-mistral-7b';
    const ref = await sm.send(new CreateHubContentReferenceCommand({ HubName: 'private-hub', SageMakerPublicHubContentArn: publicArn, MinVersion: '2.0.0' }));
    expect(ref.HubContentArn).toBe(`arn:aws:sagemaker:us-east-1:${ACCOUNT}:hub-content/private-hub/ModelReference/huggingface-llm-mistral-7b/1.0.0`);
    await sm.send(new UpdateHubContentReferenceCommand({ HubName: 'private-hub', HubContentType: 'ModelReference', HubContentName: 'huggingface-llm-mistral-7b', MinVersion: '2.1.0' }));
    const described = await sm.send(new DescribeHubContentCommand({ HubName: 'private-hub', HubContentType: 'ModelReference', HubContentName: 'huggingface-llm-mistral-7b' }));
    expect([described.SageMakerPublicHubContentArn, described.ReferenceMinVersion]).toEqual([publicArn, '2.1.0']);
    await sm.send(new DeleteHubContentReferenceCommand({ HubName: 'private-hub', HubContentType: 'ModelReference', HubContentName: 'huggingface-llm-mistral-7b' }));
    expect((await sm.send(new ListHubContentsCommand({ HubName: 'private-hub', HubContentType: 'ModelReference' }))).HubContentSummaries).toEqual([]);
  });
});

describe('families with identifiers the service assigns', () => {
  it('versions a compute quota: TargetVersion must be the current one, old versions stay readable', async () => {
    const created = await sm.send(
      new CreateComputeQuotaCommand({
        Name: 'team-a',
        ClusterArn: CLUSTER,
        ComputeQuotaConfig: { ComputeQuotaResources: [{ InstanceType: 'ml.p5.48xlarge', Count: 2 }] },
        ComputeQuotaTarget: { TeamName: 'team-a' },
      }),
    );
    expect(created.ComputeQuotaId).toMatch(/^[a-z0-9]{12}$/);
    expect(created.ComputeQuotaArn).toBe(`arn:aws:sagemaker:us-east-1:${ACCOUNT}:compute-quota/${created.ComputeQuotaId}`);
    const ComputeQuotaId = created.ComputeQuotaId!;
    const first = await until(() => sm.send(new DescribeComputeQuotaCommand({ ComputeQuotaId })), (q) => q.Status === 'Created');
    expect([first.ComputeQuotaVersion, first.Name, first.ClusterArn]).toEqual([1, 'team-a', CLUSTER]);
    const stale = await rejection(sm.send(new UpdateComputeQuotaCommand({ ComputeQuotaId, TargetVersion: 7, Description: 'x' })));
    expect(stale.name).toBe('ConflictException');
    const updated = await sm.send(new UpdateComputeQuotaCommand({ ComputeQuotaId, TargetVersion: 1, Description: 'second' }));
    expect(updated.ComputeQuotaVersion).toBe(2);
    const now = await until(() => sm.send(new DescribeComputeQuotaCommand({ ComputeQuotaId })), (q) => q.Status === 'Updated');
    expect([now.ComputeQuotaVersion, now.Description]).toEqual([2, 'second']);
    const v1 = await sm.send(new DescribeComputeQuotaCommand({ ComputeQuotaId, ComputeQuotaVersion: 1 }));
    expect([v1.ComputeQuotaVersion, v1.Description]).toEqual([1, undefined]);
    const listed = await sm.send(new ListComputeQuotasCommand({ NameContains: 'TEAM', ClusterArn: CLUSTER }));
    expect(listed.ComputeQuotaSummaries!.map((q) => q.ComputeQuotaId)).toEqual([ComputeQuotaId]);
    await sm.send(new DeleteComputeQuotaCommand({ ComputeQuotaId }));
    const gone = await untilGone(() => sm.send(new DescribeComputeQuotaCommand({ ComputeQuotaId })));
    expect(gone.name).toBe('ResourceNotFound');
  });

  it('serves MLflow and partner apps by the ARN the service assigns', async () => {
    const mlflow = await sm.send(new CreateMlflowAppCommand({ Name: 'tracking', ArtifactStoreUri: 's3://bucket/mlflow', RoleArn: ROLE }));
    expect(mlflow.Arn).toMatch(new RegExp(`^arn:aws:sagemaker:us-east-1:${ACCOUNT}:mlflow-app/app-[A-Z0-9]{12}$`));
    const d = await until(() => sm.send(new DescribeMlflowAppCommand({ Arn: mlflow.Arn })), (a) => a.Status === 'Created');
    expect([d.Name, d.ArtifactStoreUri]).toEqual(['tracking', 's3://bucket/mlflow']);
    await sm.send(new UpdateMlflowAppCommand({ Arn: mlflow.Arn, ModelRegistrationMode: 'AutoModelRegistrationDisabled' }));
    expect((await sm.send(new DescribeMlflowAppCommand({ Arn: mlflow.Arn }))).ModelRegistrationMode).toBe('AutoModelRegistrationDisabled');
    expect((await sm.send(new ListMlflowAppsCommand({}))).Summaries!.map((s) => s.Arn)).toContain(mlflow.Arn);

    const partner = await sm.send(new CreatePartnerAppCommand({ Name: 'guard', Type: 'lakera-guard', ExecutionRoleArn: ROLE, Tier: 'standard', AuthType: 'IAM' }));
    expect(partner.Arn).toMatch(/:partner-app\/app-[A-Z0-9]{12}$/);
    const p = await until(() => sm.send(new DescribePartnerAppCommand({ Arn: partner.Arn })), (a) => a.Status === 'Available');
    expect([p.Name, p.Type, p.Tier]).toEqual(['guard', 'lakera-guard', 'standard']);
    await sm.send(new UpdatePartnerAppCommand({ Arn: partner.Arn, Tier: 'premium', Tags: [{ Key: 'cost', Value: 'high' }] }));
    expect((await sm.send(new DescribePartnerAppCommand({ Arn: partner.Arn }))).Tier).toBe('premium');
    expect((await sm.send(new ListTagsCommand({ ResourceArn: partner.Arn }))).Tags).toEqual([{ Key: 'cost', Value: 'high' }]);
    expect((await sm.send(new ListPartnerAppsCommand({}))).Summaries!.map((s) => s.Arn)).toEqual([partner.Arn]);

    await sm.send(new DeletePartnerAppCommand({ Arn: partner.Arn }));
    await sm.send(new DeleteMlflowAppCommand({ Arn: mlflow.Arn }));
    expect((await untilGone(() => sm.send(new DescribePartnerAppCommand({ Arn: partner.Arn })))).name).toBe('ResourceNotFound');
    expect((await untilGone(() => sm.send(new DescribeMlflowAppCommand({ Arn: mlflow.Arn })))).name).toBe('ResourceNotFound');
    const never = await rejection(sm.send(new DescribePartnerAppCommand({ Arn: `arn:aws:sagemaker:us-east-1:${ACCOUNT}:partner-app/app-AAAAAAAAAAAA` })));
    expect(never.name).toBe('ResourceNotFound');
  });
});

describe('resource catalogs and search suggestions', () => {
  it('lists the account’s feature group catalog', async () => {
    const { ResourceCatalogs } = await sm.send(new ListResourceCatalogsCommand({ NameContains: 'featuregroup' }));
    expect(ResourceCatalogs!.map((c) => [c.ResourceCatalogName, c.ResourceCatalogArn])).toEqual([
      ['DefaultFeatureGroupCatalog', `arn:aws:sagemaker:us-east-1:${ACCOUNT}:sagemaker-catalog/DefaultFeatureGroupCatalog`],
    ]);
    expect((await sm.send(new ListResourceCatalogsCommand({ NameContains: 'nothing' }))).ResourceCatalogs).toEqual([]);
  });

  it('suggests Search property names that begin with the hint', async () => {
    const { PropertyNameSuggestions } = await sm.send(
      new GetSearchSuggestionsCommand({ Resource: 'TrainingJob', SuggestionQuery: { PropertyNameQuery: { PropertyNameHint: 'AlgorithmSpecification.Train' } } }),
    );
    const names = PropertyNameSuggestions!.map((s) => s.PropertyName);
    expect(names).toContain('AlgorithmSpecification.TrainingImage');
    expect(names.every((n) => n!.startsWith('AlgorithmSpecification.Train'))).toBe(true);
    const trials = await sm.send(new GetSearchSuggestionsCommand({ Resource: 'ExperimentTrial', SuggestionQuery: { PropertyNameQuery: { PropertyNameHint: 'TrialN' } } }));
    expect(trials.PropertyNameSuggestions!.map((s) => s.PropertyName)).toEqual(['TrialName']);
  });
});
