import {
  AddTagsCommand,
  CreateAppCommand,
  CreateComputeQuotaCommand,
  CreateDomainCommand,
  CreateHubCommand,
  CreateHubContentReferenceCommand,
  CreateImageCommand,
  CreateImageVersionCommand,
  CreateMlflowAppCommand,
  CreatePartnerAppCommand,
  CreateSpaceCommand,
  CreateUserProfileCommand,
  DeleteAppCommand,
  DeleteComputeQuotaCommand,
  DeleteDomainCommand,
  DeleteHubContentCommand,
  DeleteHubContentReferenceCommand,
  DeleteImageCommand,
  DeleteImageVersionCommand,
  DeleteMlflowAppCommand,
  DeletePartnerAppCommand,
  DeleteSpaceCommand,
  DeleteUserProfileCommand,
  DescribeAppCommand,
  DescribeComputeQuotaCommand,
  DescribeDomainCommand,
  DescribeHubContentCommand,
  DescribeImageVersionCommand,
  DescribeMlflowAppCommand,
  DescribePartnerAppCommand,
  DescribeSpaceCommand,
  DescribeUserProfileCommand,
  GetSearchSuggestionsCommand,
  ImportHubContentCommand,
  ListAliasesCommand,
  ListAppsCommand,
  ListComputeQuotasCommand,
  ListDomainsCommand,
  ListHubContentsCommand,
  ListHubContentVersionsCommand,
  ListImageVersionsCommand,
  ListMlflowAppsCommand,
  ListPartnerAppsCommand,
  ListResourceCatalogsCommand,
  ListSpacesCommand,
  ListTagsCommand,
  ListUserProfilesCommand,
  UpdateComputeQuotaCommand,
  UpdateDomainCommand,
  UpdateHubContentCommand,
  UpdateHubContentReferenceCommand,
  UpdateImageVersionCommand,
  UpdateMlflowAppCommand,
  UpdatePartnerAppCommand,
  UpdateUserProfileCommand,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, rejection, ROLE } from './helpers/clients.js';
import { startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';

let emu: EmulatorProcess;
let sm: SageMakerClient;
const ACCOUNT = '000000000000';
const CLUSTER = `arn:aws:sagemaker:us-east-1:${ACCOUNT}:cluster/abcdef123456`;

beforeAll(async () => {
  emu = await startEmulatorProcess();
  sm = clients(emu.url).sagemaker;
}, 60_000);
afterAll(async () => emu?.stop());

/** Polls (bounded by attempts, not time: the fast profile settles in a fraction of a second) until `done` holds. */
async function until<T>(read: () => Promise<T>, done: (t: T) => boolean): Promise<T> {
  let last = await read();
  for (let i = 0; i < 300 && !done(last); i++) {
    await new Promise((r) => setTimeout(r, 50));
    last = await read();
  }
  if (!done(last)) throw new Error(`never settled: ${JSON.stringify(last)}`);
  return last;
}

/** Polls until the call fails, and returns the failure. */
async function untilGone(read: () => Promise<unknown>): Promise<Awaited<ReturnType<typeof rejection>>> {
  for (let i = 0; i < 300; i++) {
    const failure = await read().then(
      () => undefined,
      (e) => e,
    );
    if (failure) return failure;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('never gone');
}

async function newDomain(name: string) {
  const d = await sm.send(
    new CreateDomainCommand({
      DomainName: name,
      AuthMode: 'IAM',
      DefaultUserSettings: { ExecutionRole: ROLE },
      SubnetIds: ['subnet-0abc'],
      VpcId: 'vpc-0abc',
      Tags: [{ Key: 'team', Value: 'ml' }],
    }),
  );
  return d;
}

describe('Studio: domains, user profiles, spaces and apps', () => {
  it('walks a domain and its members through their lifecycles, with AWS’s in-use errors', async () => {
    const created = await newDomain('research');
    expect(created.DomainId).toMatch(/^d-[a-z0-9]{12}$/);
    expect(created.DomainArn).toBe(`arn:aws:sagemaker:us-east-1:${ACCOUNT}:domain/${created.DomainId}`);
    expect(created.Url).toBe(`https://${created.DomainId}.studio.us-east-1.sagemaker.aws`);
    const DomainId = created.DomainId!;
    let domain = await sm.send(new DescribeDomainCommand({ DomainId }));
    expect(['Pending', 'InService']).toContain(domain.Status);
    expect([domain.DomainName, domain.AuthMode, domain.VpcId, domain.DefaultUserSettings?.ExecutionRole]).toEqual(['research', 'IAM', 'vpc-0abc', ROLE]);
    expect(domain.HomeEfsFileSystemId).toMatch(/^fs-[0-9a-f]{17}$/);
    domain = await until(() => sm.send(new DescribeDomainCommand({ DomainId })), (d) => d.Status === 'InService');
    expect((await sm.send(new ListTagsCommand({ ResourceArn: created.DomainArn }))).Tags).toEqual([{ Key: 'team', Value: 'ml' }]);

    // A user profile needs its domain.
    const orphan = await rejection(sm.send(new CreateUserProfileCommand({ DomainId: 'd-000000000000', UserProfileName: 'alice' })));
    expect(orphan.name).toBe('ValidationException');
    expect(orphan.message).toBe(`Domain [arn:aws:sagemaker:us-east-1:${ACCOUNT}:domain/d-000000000000] does not exist.`);

    const profile = await sm.send(new CreateUserProfileCommand({ DomainId, UserProfileName: 'Alice', UserSettings: { ExecutionRole: ROLE } }));
    expect(profile.UserProfileArn).toBe(`arn:aws:sagemaker:us-east-1:${ACCOUNT}:user-profile/${DomainId}/alice`);
    expect((await sm.send(new DescribeUserProfileCommand({ DomainId, UserProfileName: 'alice' }))).HomeEfsFileSystemUid).toBe('200001');
    const taken = await rejection(sm.send(new CreateUserProfileCommand({ DomainId, UserProfileName: 'alice' })));
    expect(taken.name).toBe('ResourceInUse');
    const space = await sm.send(new CreateSpaceCommand({ DomainId, SpaceName: 'shared', SpaceDisplayName: 'Shared space' }));
    expect(space.SpaceArn).toBe(`arn:aws:sagemaker:us-east-1:${ACCOUNT}:space/${DomainId}/shared`);
    expect((await sm.send(new DescribeSpaceCommand({ DomainId, SpaceName: 'shared' }))).SpaceDisplayName).toBe('Shared space');

    // An app belongs to a user profile or to a space, never to neither.
    const neither = await rejection(sm.send(new DescribeAppCommand({ DomainId, AppType: 'JupyterServer', AppName: 'default' })));
    expect(neither.name).toBe('ValidationException');
    expect(neither.message).toBe('Either UserProfileName or SpaceName must be passed for DescribeApp operation.');
    const noUser = await rejection(sm.send(new CreateAppCommand({ DomainId, UserProfileName: 'bob', AppType: 'JupyterServer', AppName: 'default' })));
    expect(noUser.message).toBe(`UserProfile [arn:aws:sagemaker:us-east-1:${ACCOUNT}:user-profile/${DomainId}/bob] does not exist.`);
    const app = await sm.send(
      new CreateAppCommand({ DomainId, UserProfileName: 'alice', AppType: 'JupyterServer', AppName: 'default', ResourceSpec: { InstanceType: 'system' } }),
    );
    expect(app.AppArn).toBe(`arn:aws:sagemaker:us-east-1:${ACCOUNT}:app/${DomainId}/alice/JupyterServer/default`);
    await sm.send(new CreateAppCommand({ DomainId, SpaceName: 'shared', AppType: 'JupyterLab', AppName: 'default' }));
    const described = await until(
      () => sm.send(new DescribeAppCommand({ DomainId, UserProfileName: 'alice', AppType: 'JupyterServer', AppName: 'default' })),
      (a) => a.Status === 'InService',
    );
    expect(described.ResourceSpec).toEqual({ InstanceType: 'system' });
    expect(described.UserProfileName).toBe('alice');

    // In use: neither the profile (its app) nor the domain (its profile and space) can go.
    const profileInUse = await rejection(sm.send(new DeleteUserProfileCommand({ DomainId, UserProfileName: 'alice' })));
    expect(profileInUse.name).toBe('ResourceInUse');
    expect(profileInUse.message).toBe(`Unable to delete UserProfile [${profile.UserProfileArn}] because App(s) are associated with it.`);
    const domainInUse = await rejection(sm.send(new DeleteDomainCommand({ DomainId, RetentionPolicy: { HomeEfsFileSystem: 'Delete' } })));
    expect(domainInUse.name).toBe('ResourceInUse');
    expect(domainInUse.message).toBe(`Unable to delete Domain [${created.DomainArn}] because UserProfile(s) are associated with it.`);

    // Deleting, then Deleted: the app stays listed with its last status, as on AWS.
    await sm.send(new DeleteAppCommand({ DomainId, UserProfileName: 'alice', AppType: 'JupyterServer', AppName: 'default' }));
    const deleted = await until(
      () => sm.send(new DescribeAppCommand({ DomainId, UserProfileName: 'alice', AppType: 'JupyterServer', AppName: 'default' })),
      (a) => a.Status === 'Deleted',
    );
    expect(deleted.AppArn).toBe(app.AppArn);
    const both = await rejection(sm.send(new ListAppsCommand({ DomainIdEquals: DomainId, UserProfileNameEquals: 'alice', SpaceNameEquals: 'shared' })));
    expect(both.name).toBe('ValidationException');
    const apps = await sm.send(new ListAppsCommand({ DomainIdEquals: DomainId, UserProfileNameEquals: 'alice' }));
    expect(apps.Apps!.map((a) => [a.AppName, a.Status])).toEqual([['default', 'Deleted']]);
    const again = await rejection(sm.send(new DeleteAppCommand({ DomainId, UserProfileName: 'alice', AppType: 'JupyterServer', AppName: 'default' })));
    expect(again.name).toBe('ResourceNotFound');

    await sm.send(new DeleteUserProfileCommand({ DomainId, UserProfileName: 'alice' }));
    const profileGone = await untilGone(() => sm.send(new DescribeUserProfileCommand({ DomainId, UserProfileName: 'alice' })));
    expect(profileGone.name).toBe('ResourceNotFound');
    expect(profileGone.message).toBe(`UserProfile [${profile.UserProfileArn}] does not exist.`);
    // The space still has a running app, then none.
    const spaceInUse = await rejection(sm.send(new DeleteSpaceCommand({ DomainId, SpaceName: 'shared' })));
    expect(spaceInUse.message).toBe(`Unable to delete Space [${space.SpaceArn}] because App(s) are associated with it.`);
    await sm.send(new DeleteAppCommand({ DomainId, SpaceName: 'shared', AppType: 'JupyterLab', AppName: 'default' }));
    await until(
      () => sm.send(new DescribeAppCommand({ DomainId, SpaceName: 'shared', AppType: 'JupyterLab', AppName: 'default' })),
      (a) => a.Status === 'Deleted',
    );
    await sm.send(new DeleteSpaceCommand({ DomainId, SpaceName: 'shared' }));
    await untilGone(() => sm.send(new DescribeSpaceCommand({ DomainId, SpaceName: 'shared' })));
    expect((await sm.send(new ListSpacesCommand({ DomainIdEquals: DomainId }))).Spaces).toEqual([]);

    await sm.send(new DeleteDomainCommand({ DomainId }));
    const gone = await untilGone(() => sm.send(new DescribeDomainCommand({ DomainId })));
    expect(gone.name).toBe('ResourceNotFound');
    expect(gone.$metadata.httpStatusCode).toBe(400);
    expect(gone.message).toBe(`Domain [${created.DomainArn}] does not exist.`);
    expect((await sm.send(new ListDomainsCommand({}))).Domains!.map((d) => d.DomainId)).not.toContain(DomainId);
  });

  it('updates, lists with filters and NextToken, and tags by ARN', async () => {
    const { DomainId, DomainArn } = await newDomain('listing');
    await until(() => sm.send(new DescribeDomainCommand({ DomainId })), (d) => d.Status === 'InService');
    await sm.send(
      new UpdateDomainCommand({
        DomainId: DomainId!,
        DefaultUserSettings: { ExecutionRole: `${ROLE}2` },
        DomainSettingsForUpdate: { SecurityGroupIds: ['sg-0abc'], RStudioServerProDomainSettingsForUpdate: { DomainExecutionRoleArn: ROLE } },
      }),
    );
    const updated = await sm.send(new DescribeDomainCommand({ DomainId }));
    expect(updated.DomainSettings).toEqual({ SecurityGroupIds: ['sg-0abc'], RStudioServerProDomainSettings: { DomainExecutionRoleArn: ROLE } });
    expect(['Updating', 'InService']).toContain(updated.Status);
    expect(updated.DefaultUserSettings?.ExecutionRole).toBe(`${ROLE}2`);
    expect(updated.LastModifiedTime!.getTime()).toBeGreaterThanOrEqual(updated.CreationTime!.getTime());
    const listed = await sm.send(new ListDomainsCommand({}));
    expect(listed.Domains!.find((d) => d.DomainId === DomainId)).toMatchObject({ DomainArn, DomainName: 'listing' });

    for (const n of ['ann', 'andy', 'bea']) await sm.send(new CreateUserProfileCommand({ DomainId, UserProfileName: n }));
    const first = await sm.send(new ListUserProfilesCommand({ DomainIdEquals: DomainId, MaxResults: 2 }));
    expect(first.UserProfiles!.map((p) => p.UserProfileName)).toEqual(['ann', 'andy']);
    expect(first.NextToken).toBeTruthy();
    const rest = await sm.send(new ListUserProfilesCommand({ DomainIdEquals: DomainId, MaxResults: 2, NextToken: first.NextToken }));
    expect(rest.UserProfiles!.map((p) => p.UserProfileName)).toEqual(['bea']);
    expect(rest.NextToken).toBeUndefined();
    const an = await sm.send(new ListUserProfilesCommand({ DomainIdEquals: DomainId, UserProfileNameContains: 'AN', SortOrder: 'Descending' }));
    expect(an.UserProfiles!.map((p) => p.UserProfileName)).toEqual(['andy', 'ann']);
    expect((await sm.send(new ListUserProfilesCommand({ DomainIdEquals: 'd-000000000000' }))).UserProfiles).toEqual([]);
    const bad = await rejection(sm.send(new ListUserProfilesCommand({ DomainIdEquals: DomainId, NextToken: 'not-a-token' })));
    expect(bad.name).toBe('ValidationException');

    const { UserProfileArn } = await sm.send(new UpdateUserProfileCommand({ DomainId, UserProfileName: 'bea', UserSettings: { ExecutionRole: ROLE } }));
    expect((await sm.send(new DescribeUserProfileCommand({ DomainId, UserProfileName: 'BEA' }))).UserSettings?.ExecutionRole).toBe(ROLE);
    await sm.send(new AddTagsCommand({ ResourceArn: UserProfileArn, Tags: [{ Key: 'owner', Value: 'bea' }] }));
    expect((await sm.send(new ListTagsCommand({ ResourceArn: UserProfileArn }))).Tags).toEqual([{ Key: 'owner', Value: 'bea' }]);
    const missing = await rejection(sm.send(new UpdateUserProfileCommand({ DomainId, UserProfileName: 'zed' })));
    expect(missing.name).toBe('ResourceNotFound');

    // A private space is its owner's: the owner must exist, and cannot go while the space stays.
    const noOwner = await rejection(sm.send(new CreateSpaceCommand({ DomainId, SpaceName: 'private', OwnershipSettings: { OwnerUserProfileName: 'zed' } })));
    expect(noOwner.message).toBe(`UserProfile [arn:aws:sagemaker:us-east-1:${ACCOUNT}:user-profile/${DomainId}/zed] does not exist.`);
    await sm.send(
      new CreateSpaceCommand({
        DomainId,
        SpaceName: 'private',
        OwnershipSettings: { OwnerUserProfileName: 'ann' },
        SpaceSharingSettings: { SharingType: 'Private' },
        SpaceSettings: { AppType: 'JupyterLab' },
      }),
    );
    const owned = await rejection(sm.send(new DeleteUserProfileCommand({ DomainId, UserProfileName: 'ann' })));
    expect(owned.name).toBe('ResourceInUse');
    expect(owned.message).toBe(`Unable to delete UserProfile [arn:aws:sagemaker:us-east-1:${ACCOUNT}:user-profile/${DomainId}/ann] because Space(s) are associated with it.`);
    const [summary] = (await sm.send(new ListSpacesCommand({ DomainIdEquals: DomainId, SpaceNameContains: 'priv' }))).Spaces!;
    expect(summary.OwnershipSettingsSummary).toEqual({ OwnerUserProfileName: 'ann' });
    expect(summary.SpaceSharingSettingsSummary).toEqual({ SharingType: 'Private' });
    expect(summary.SpaceSettingsSummary?.AppType).toBe('JupyterLab');
    await sm.send(new DeleteSpaceCommand({ DomainId, SpaceName: 'private' }));
    await untilGone(() => sm.send(new DescribeSpaceCommand({ DomainId, SpaceName: 'private' })));
    await sm.send(new DeleteUserProfileCommand({ DomainId, UserProfileName: 'ann' }));
  });

  it('keeps domains, profiles, their tags and status across a restart', async () => {
    const { DomainId, DomainArn } = await newDomain('survivor');
    await sm.send(new CreateUserProfileCommand({ DomainId, UserProfileName: 'kept', Tags: [{ Key: 'k', Value: 'v' }] }));
    await until(() => sm.send(new DescribeUserProfileCommand({ DomainId, UserProfileName: 'kept' })), (p) => p.Status === 'InService');
    await emu.kill();
    emu = await startEmulatorProcess({ dataDir: emu.dataDir });
    sm = clients(emu.url).sagemaker;
    const d = await sm.send(new DescribeDomainCommand({ DomainId }));
    expect([d.DomainArn, d.Status, d.DomainName]).toEqual([DomainArn, 'InService', 'survivor']);
    const p = await sm.send(new DescribeUserProfileCommand({ DomainId, UserProfileName: 'kept' }));
    expect(p.Status).toBe('InService');
    expect((await sm.send(new ListTagsCommand({ ResourceArn: p.UserProfileArn }))).Tags).toEqual([{ Key: 'k', Value: 'v' }]);
    // Still its domain's member: the domain cannot be deleted.
    expect((await rejection(sm.send(new DeleteDomainCommand({ DomainId })))).name).toBe('ResourceInUse');
  }, 60_000);
});

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
