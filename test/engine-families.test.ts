import {
  AddTagsCommand,
  CreateFeatureGroupCommand,
  CreateModelPackageGroupCommand,
  CreateModelCardCommand,
  CreateNotebookInstanceCommand,
  CreateNotebookInstanceLifecycleConfigCommand,
  CreateProjectCommand,
  CreateWorkteamCommand,
  DeleteModelPackageGroupCommand,
  DeleteNotebookInstanceCommand,
  DeleteNotebookInstanceLifecycleConfigCommand,
  DeleteWorkteamCommand,
  DescribeDeviceFleetCommand,
  DescribeFeatureGroupCommand,
  DescribeModelPackageGroupCommand,
  DescribeModelCardCommand,
  DescribeNotebookInstanceCommand,
  DescribeNotebookInstanceLifecycleConfigCommand,
  DescribeProjectCommand,
  DescribeWorkforceCommand,
  DescribeWorkteamCommand,
  ListNotebookInstancesCommand,
  ListTagsCommand,
  StartNotebookInstanceCommand,
  StopNotebookInstanceCommand,
  UpdateModelCardCommand,
  UpdateNotebookInstanceCommand,
  waitUntilNotebookInstanceDeleted,
  waitUntilNotebookInstanceInService,
  waitUntilNotebookInstanceStopped,
} from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, rejection, ROLE } from './helpers/clients.js';
import { startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';

let emu: EmulatorProcess;
let sm: ReturnType<typeof clients>['sagemaker'];

beforeAll(async () => {
  emu = await startEmulatorProcess();
  sm = clients(emu.url).sagemaker;
}, 60_000);
afterAll(async () => emu?.stop());

describe('the generic resource engine', () => {
  it('walks a notebook instance through its lifecycle with the SDK waiters', async () => {
    const created = await sm.send(
      new CreateNotebookInstanceCommand({ NotebookInstanceName: 'My-Notebook', InstanceType: 'ml.t3.medium', RoleArn: ROLE, Tags: [{ Key: 'team', Value: 'a' }] }),
    );
    expect(created.NotebookInstanceArn).toBe('arn:aws:sagemaker:us-east-1:000000000000:notebook-instance/my-notebook');
    const first = await sm.send(new DescribeNotebookInstanceCommand({ NotebookInstanceName: 'My-Notebook' }));
    expect(['Pending', 'InService']).toContain(first.NotebookInstanceStatus);
    expect(first.InstanceType).toBe('ml.t3.medium');
    expect(first.RoleArn).toBe(ROLE);
    expect(first.CreationTime).toBeInstanceOf(Date);
    // AWS's defaults for what the caller left out.
    expect([first.VolumeSizeInGB, first.DirectInternetAccess, first.RootAccess]).toEqual([5, 'Enabled', 'Enabled']);
    // A taken name (names are case-insensitive): the wording moto reproduces for it.
    const taken = await rejection(sm.send(new CreateNotebookInstanceCommand({ NotebookInstanceName: 'my-notebook', InstanceType: 'ml.t3.medium', RoleArn: ROLE })));
    expect([taken.name, taken.$metadata.httpStatusCode, taken.message]).toEqual(['ValidationException', 400, `Cannot create a duplicate Notebook Instance (${created.NotebookInstanceArn})`]);
    await waitUntilNotebookInstanceInService({ client: sm, maxWaitTime: 60, minDelay: 1 }, { NotebookInstanceName: 'My-Notebook' });

    // In use: neither deleted nor updated while it runs (AWS's wording).
    const inUse = await rejection(sm.send(new DeleteNotebookInstanceCommand({ NotebookInstanceName: 'My-Notebook' })));
    expect(inUse.name).toBe('ValidationException');
    expect(inUse.message).toBe(`Status (InService) not in ([Stopped, Failed]). Unable to transition to (Deleting) for Notebook Instance (${created.NotebookInstanceArn}).`);
    const startAgain = await rejection(sm.send(new StartNotebookInstanceCommand({ NotebookInstanceName: 'My-Notebook' })));
    expect(startAgain.message).toMatch(/^Status \(InService\) not in \(\[Stopped, Failed\]\)/);

    await sm.send(new StopNotebookInstanceCommand({ NotebookInstanceName: 'My-Notebook' }));
    await waitUntilNotebookInstanceStopped({ client: sm, maxWaitTime: 60, minDelay: 1 }, { NotebookInstanceName: 'My-Notebook' });
    await sm.send(new UpdateNotebookInstanceCommand({ NotebookInstanceName: 'My-Notebook', InstanceType: 'ml.t3.large' }));
    const updated = await sm.send(new DescribeNotebookInstanceCommand({ NotebookInstanceName: 'my-notebook' }));
    expect(updated.InstanceType).toBe('ml.t3.large');
    expect(updated.NotebookInstanceStatus).toBe('Stopped');
    expect(updated.LastModifiedTime!.getTime()).toBeGreaterThanOrEqual(updated.CreationTime!.getTime());

    const tags = await sm.send(new ListTagsCommand({ ResourceArn: created.NotebookInstanceArn }));
    expect(tags.Tags).toEqual([{ Key: 'team', Value: 'a' }]);
    await sm.send(new DeleteNotebookInstanceCommand({ NotebookInstanceName: 'My-Notebook' }));
    // Deleting, then gone: the SDK's waiter sees the not-found error.
    const deleting = await sm.send(new DescribeNotebookInstanceCommand({ NotebookInstanceName: 'My-Notebook' })).catch(() => undefined);
    if (deleting) expect(deleting.NotebookInstanceStatus).toBe('Deleting');
    await waitUntilNotebookInstanceDeleted({ client: sm, maxWaitTime: 60, minDelay: 1 }, { NotebookInstanceName: 'My-Notebook' });
    const gone = await rejection(sm.send(new DescribeNotebookInstanceCommand({ NotebookInstanceName: 'My-Notebook' })));
    expect(gone.name).toBe('ValidationException');
    expect(gone.message).toBe('RecordNotFound');
  });

  it('answers a lifecycle configuration missing or taken with the operation named in the message', async () => {
    const arn = 'arn:aws:sagemaker:us-east-1:000000000000:notebook-instance-lifecycle-config/on-start';
    const describe = await rejection(sm.send(new DescribeNotebookInstanceLifecycleConfigCommand({ NotebookInstanceLifecycleConfigName: 'on-start' })));
    expect([describe.name, describe.$metadata.httpStatusCode, describe.message]).toEqual([
      'ValidationException',
      400,
      `Unable to describe Notebook Instance Lifecycle Config '${arn}'. (Details: Notebook Instance Lifecycle Config does not exist.)`,
    ]);
    const remove = await rejection(sm.send(new DeleteNotebookInstanceLifecycleConfigCommand({ NotebookInstanceLifecycleConfigName: 'on-start' })));
    expect(remove.message).toBe(`Unable to delete Notebook Instance Lifecycle Config '${arn}'. (Details: Notebook Instance Lifecycle Config does not exist.)`);
    await sm.send(new CreateNotebookInstanceLifecycleConfigCommand({ NotebookInstanceLifecycleConfigName: 'on-start' }));
    const twice = await rejection(sm.send(new CreateNotebookInstanceLifecycleConfigCommand({ NotebookInstanceLifecycleConfigName: 'on-start' })));
    expect([twice.name, twice.message]).toEqual([
      'ValidationException',
      `Unable to create Notebook Instance Lifecycle Config ${arn}. (Details: Notebook Instance Lifecycle Config already exists.)`,
    ]);
  });

  it('lists with filters, sort order and NextToken', async () => {
    for (const n of ['nb-a', 'nb-b', 'nb-c']) {
      await sm.send(new CreateNotebookInstanceCommand({ NotebookInstanceName: n, InstanceType: 'ml.t3.medium', RoleArn: ROLE }));
    }
    await sm.send(new CreateNotebookInstanceCommand({ NotebookInstanceName: 'other', InstanceType: 'ml.t3.medium', RoleArn: ROLE }));
    const byName = await sm.send(new ListNotebookInstancesCommand({ NameContains: 'NB-', SortBy: 'Name', SortOrder: 'Ascending', MaxResults: 2 }));
    expect(byName.NotebookInstances!.map((n) => n.NotebookInstanceName)).toEqual(['nb-a', 'nb-b']);
    expect(byName.NotebookInstances![0].NotebookInstanceArn).toMatch(/:notebook-instance\/nb-a$/);
    expect(byName.NextToken).toBeTruthy();
    const rest = await sm.send(new ListNotebookInstancesCommand({ NameContains: 'NB-', SortBy: 'Name', SortOrder: 'Ascending', MaxResults: 2, NextToken: byName.NextToken }));
    expect(rest.NotebookInstances!.map((n) => n.NotebookInstanceName)).toEqual(['nb-c']);
    expect(rest.NextToken).toBeUndefined();
    // A List's own filter, read from its input shape (StatusEquals is the shared one).
    const stopped = await sm.send(new ListNotebookInstancesCommand({ StatusEquals: 'Stopped' }));
    expect(stopped.NotebookInstances).toEqual([]);
    const typed = await sm.send(new ListNotebookInstancesCommand({ NotebookInstanceLifecycleConfigNameContains: 'nothing-has-this' }));
    expect(typed.NotebookInstances).toEqual([]);
    // Default: newest first.
    const all = await sm.send(new ListNotebookInstancesCommand({}));
    expect(all.NotebookInstances![0].NotebookInstanceName).toBe('other');
  });

  it('keeps engine resources, their tags and their status across a restart', async () => {
    await sm.send(new CreateNotebookInstanceCommand({ NotebookInstanceName: 'survivor', InstanceType: 'ml.t3.medium', RoleArn: ROLE, Tags: [{ Key: 'k', Value: 'v' }] }));
    await waitUntilNotebookInstanceInService({ client: sm, maxWaitTime: 60, minDelay: 1 }, { NotebookInstanceName: 'survivor' });
    await emu.kill();
    emu = await startEmulatorProcess({ dataDir: emu.dataDir });
    sm = clients(emu.url).sagemaker;
    const d = await sm.send(new DescribeNotebookInstanceCommand({ NotebookInstanceName: 'survivor' }));
    expect(d.NotebookInstanceStatus).toBe('InService');
    expect((await sm.send(new ListTagsCommand({ ResourceArn: d.NotebookInstanceArn }))).Tags).toEqual([{ Key: 'k', Value: 'v' }]);
  });

  it('refuses a taken name and answers the family’s not-found error', async () => {
    await sm.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: 'churn' }));
    const again = await rejection(sm.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: 'Churn' })));
    // The wording AWS's CloudFormation handler for AWS::SageMaker::ModelPackageGroup matches.
    expect([again.name, again.$metadata.httpStatusCode, again.message]).toEqual([
      'ValidationException',
      400,
      'Model Package Group already exists: arn:aws:sagemaker:us-east-1:000000000000:model-package-group/churn',
    ]);
    let group = await sm.send(new DescribeModelPackageGroupCommand({ ModelPackageGroupName: 'churn' }));
    expect(group.ModelPackageGroupArn).toBe('arn:aws:sagemaker:us-east-1:000000000000:model-package-group/churn');
    // Pending on the timing profile, then Completed.
    expect(['Pending', 'Completed']).toContain(group.ModelPackageGroupStatus);
    for (let i = 0; i < 300 && group.ModelPackageGroupStatus === 'Pending'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      group = await sm.send(new DescribeModelPackageGroupCommand({ ModelPackageGroupName: 'churn' }));
    }
    expect(group.ModelPackageGroupStatus).toBe('Completed');
    // Describe by ARN, as the model allows.
    const byArn = await sm.send(new DescribeModelPackageGroupCommand({ ModelPackageGroupName: group.ModelPackageGroupArn }));
    expect(byArn.ModelPackageGroupName).toBe('churn');
    await sm.send(new AddTagsCommand({ ResourceArn: group.ModelPackageGroupArn, Tags: [{ Key: 'k', Value: 'v' }] }));
    await sm.send(new DeleteModelPackageGroupCommand({ ModelPackageGroupName: 'churn' }));
    // Deleting for the profile's transition, then not found.
    let missing: Awaited<ReturnType<typeof rejection>> | undefined;
    for (let i = 0; i < 300 && !missing; i++) {
      const d = await sm.send(new DescribeModelPackageGroupCommand({ ModelPackageGroupName: 'churn' })).catch((e) => (missing = e));
      if (!missing) expect((d as { ModelPackageGroupStatus?: string }).ModelPackageGroupStatus).toBe('Deleting');
      await new Promise((r) => setTimeout(r, 50));
    }
    if (!missing) throw new Error('the group was never deleted');
    // Once gone, the name is free again.
    await sm.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: 'churn' }));
    expect([missing.name, missing.$metadata.httpStatusCode, missing.message]).toEqual([
      'ValidationException',
      400,
      'ModelPackageGroup arn:aws:sagemaker:us-east-1:000000000000:model-package-group/churn does not exist.',
    ]);
    // An ARN of another family is not found, not mistaken for this one.
    const wrongFamily = await rejection(
      sm.send(new DescribeModelPackageGroupCommand({ ModelPackageGroupName: 'arn:aws:sagemaker:us-east-1:000000000000:notebook-instance/nb-a' })),
    );
    expect(wrongFamily.name).toBe('ValidationException');
    const feature = await rejection(sm.send(new DescribeFeatureGroupCommand({ FeatureGroupName: 'nope' })));
    expect(feature.name).toBe('ResourceNotFound');
    expect(feature.$metadata.httpStatusCode).toBe(400);
    // A taken feature group name: ResourceInUse, in the two-line wording AWS answers.
    const clicks = {
      FeatureGroupName: 'clicks',
      RecordIdentifierFeatureName: 'id',
      EventTimeFeatureName: 'ts',
      FeatureDefinitions: [
        { FeatureName: 'id', FeatureType: 'String' as const },
        { FeatureName: 'ts', FeatureType: 'Fractional' as const },
      ],
      OnlineStoreConfig: { EnableOnlineStore: true },
    };
    await sm.send(new CreateFeatureGroupCommand(clicks));
    const takenGroup = await rejection(sm.send(new CreateFeatureGroupCommand(clicks)));
    expect([takenGroup.name, takenGroup.$metadata.httpStatusCode, takenGroup.message]).toEqual([
      'ResourceInUse',
      400,
      "Resource Already Exists: FeatureGroup with name clicks already exists. Choose a different name.\nInfo: Feature Group 'clicks' already exists.",
    ]);
  });
});

describe('families whose Describe wraps the resource', () => {
  it('answers DescribeWorkteam with the workteam inside its Workteam member', async () => {
    await sm.send(
      new CreateWorkteamCommand({
        WorkteamName: 'labelers',
        Description: 'in-house',
        MemberDefinitions: [{ OidcMemberDefinition: { Groups: ['team'] } }],
      }),
    );
    const d = await sm.send(new DescribeWorkteamCommand({ WorkteamName: 'labelers' }));
    expect(d.Workteam?.WorkteamName).toBe('labelers');
    expect(d.Workteam?.Description).toBe('in-house');
    expect(d.Workteam?.WorkteamArn).toBe('arn:aws:sagemaker:us-east-1:000000000000:workteam/private-crowd/labelers');
    const tags = await sm.send(new ListTagsCommand({ ResourceArn: d.Workteam?.WorkteamArn }));
    expect(tags.Tags).toEqual([]);
  });

  it('answers a missing work team, workforce or device fleet with the wordings the Terraform provider matches', async () => {
    const team = await rejection(sm.send(new DescribeWorkteamCommand({ WorkteamName: 'no-team' })));
    expect([team.name, team.$metadata.httpStatusCode, team.message]).toEqual([
      'ValidationException',
      400,
      'The work team arn:aws:sagemaker:us-east-1:000000000000:workteam/private-crowd/no-team does not exist.',
    ]);
    const teamGone = await rejection(sm.send(new DeleteWorkteamCommand({ WorkteamName: 'no-team' })));
    expect(teamGone.message).toMatch(/^The work team /);
    const force = await rejection(sm.send(new DescribeWorkforceCommand({ WorkforceName: 'no-force' })));
    expect([force.name, force.$metadata.httpStatusCode, force.message]).toEqual(['ValidationException', 400, 'No workforce with name no-force.']);
    // DescribeDeviceFleet declares ResourceNotFound, but AWS answers a ValidationException.
    const fleet = await rejection(sm.send(new DescribeDeviceFleetCommand({ DeviceFleetName: 'no-fleet' })));
    expect([fleet.name, fleet.$metadata.httpStatusCode, fleet.message]).toEqual(['ValidationException', 400, 'No devicefleet with name no-fleet.']);
  });
});

describe('model cards', () => {
  it('keep the status the caller sets and count a version per update', async () => {
    await sm.send(new CreateModelCardCommand({ ModelCardName: 'churn-card', Content: '{}', ModelCardStatus: 'Draft' }));
    let card = await sm.send(new DescribeModelCardCommand({ ModelCardName: 'churn-card' }));
    expect([card.ModelCardStatus, card.ModelCardVersion]).toEqual(['Draft', 1]);
    await sm.send(new UpdateModelCardCommand({ ModelCardName: 'churn-card', ModelCardStatus: 'PendingReview' }));
    card = await sm.send(new DescribeModelCardCommand({ ModelCardName: 'churn-card' }));
    expect([card.ModelCardStatus, card.ModelCardVersion]).toEqual(['PendingReview', 2]);
  });
});

describe('projects', () => {
  it('get a ProjectId the service assigns, the same in Create and Describe', async () => {
    const created = await sm.send(new CreateProjectCommand({ ProjectName: 'mlops' }));
    expect(created.ProjectId).toMatch(/^p-[a-z0-9]{12}$/);
    const d = await sm.send(new DescribeProjectCommand({ ProjectName: 'mlops' }));
    expect(d.ProjectId).toBe(created.ProjectId);
    expect(d.ProjectArn).toBe(created.ProjectArn);
    // A taken name and a missing project: the wordings AWS's CloudFormation handler for
    // AWS::SageMaker::Project matches.
    const taken = await rejection(sm.send(new CreateProjectCommand({ ProjectName: 'mlops' })));
    expect([taken.name, taken.$metadata.httpStatusCode, taken.message]).toEqual(['ValidationException', 400, `Project already exists: ${created.ProjectArn}`]);
    const missing = await rejection(sm.send(new DescribeProjectCommand({ ProjectName: 'no-project' })));
    expect([missing.name, missing.$metadata.httpStatusCode, missing.message]).toEqual([
      'ValidationException',
      400,
      'Project arn:aws:sagemaker:us-east-1:000000000000:project/no-project does not exist.',
    ]);
  });
});
