/**
 * SageMaker Studio through the JS SDK: domains, user profiles, spaces and apps (engine/keyed/),
 * their lifecycles, the order AWS enforces on deletes, listing, tags and a restart.
 */
import {
  AddTagsCommand,
  CreateAppCommand,
  CreateDomainCommand,
  CreateSpaceCommand,
  CreateUserProfileCommand,
  DeleteAppCommand,
  DeleteDomainCommand,
  DeleteSpaceCommand,
  DeleteUserProfileCommand,
  DescribeAppCommand,
  DescribeDomainCommand,
  DescribeSpaceCommand,
  DescribeUserProfileCommand,
  ListAppsCommand,
  ListDomainsCommand,
  ListSpacesCommand,
  ListTagsCommand,
  ListUserProfilesCommand,
  UpdateDomainCommand,
  UpdateUserProfileCommand,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, rejection, ROLE } from './helpers/clients.js';
import { startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';
import { until, untilGone } from './helpers/settle.js';

let emu: EmulatorProcess;
let sm: SageMakerClient;
const ACCOUNT = '000000000000';

beforeAll(async () => {
  emu = await startEmulatorProcess();
  sm = clients(emu.url).sagemaker;
}, 60_000);
afterAll(async () => emu?.stop());

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
