import {
  AddAssociationCommand,
  AddTagsCommand,
  CreateActionCommand,
  CreateArtifactCommand,
  CreateContextCommand,
  CreateExperimentCommand,
  CreateTrialComponentCommand,
  DeleteActionCommand,
  DeleteArtifactCommand,
  DeleteAssociationCommand,
  DescribeArtifactCommand,
  DescribeLineageGroupCommand,
  GetLineageGroupPolicyCommand,
  ListArtifactsCommand,
  ListAssociationsCommand,
  ListLineageGroupsCommand,
  ListTagsCommand,
  QueryLineageCommand,
  UpdateArtifactCommand,
} from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, rejection } from './helpers/clients.js';
import { startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';

let emu: EmulatorProcess;
let sm: ReturnType<typeof clients>['sagemaker'];
const ACCOUNT = 'arn:aws:sagemaker:us-east-1:000000000000';

beforeAll(async () => {
  emu = await startEmulatorProcess();
  sm = clients(emu.url).sagemaker;
}, 60_000);
afterAll(async () => emu?.stop());

const artifact = async (uri: string, type: string, extra: Record<string, unknown> = {}) =>
  (await sm.send(new CreateArtifactCommand({ Source: { SourceUri: uri }, ArtifactType: type, ...extra }))).ArtifactArn!;

describe('lineage artifacts', () => {
  it('creates an artifact under a server-assigned ARN and describes, lists, updates, tags and deletes it', async () => {
    const arn = await artifact('s3://bucket/data/train.csv', 'DataSet', { ArtifactName: 'train-data', Properties: { rows: '100', owner: 'a' }, Tags: [{ Key: 't', Value: '1' }] });
    expect(arn).toMatch(new RegExp(`^${ACCOUNT}:artifact/[0-9a-f]{32}$`));
    const other = await artifact('s3://bucket/data/train.csv', 'DataSet', { ArtifactName: 'train-data' });
    expect(other).not.toBe(arn);

    const d = await sm.send(new DescribeArtifactCommand({ ArtifactArn: arn }));
    expect(d).toMatchObject({ ArtifactArn: arn, ArtifactName: 'train-data', ArtifactType: 'DataSet', Source: { SourceUri: 's3://bucket/data/train.csv' }, Properties: { rows: '100', owner: 'a' } });
    expect(d.CreationTime).toBeInstanceOf(Date);
    expect((await sm.send(new ListTagsCommand({ ResourceArn: arn }))).Tags).toEqual([{ Key: 't', Value: '1' }]);
    await sm.send(new AddTagsCommand({ ResourceArn: arn, Tags: [{ Key: 'u', Value: '2' }] }));

    await sm.send(new UpdateArtifactCommand({ ArtifactArn: arn, ArtifactName: 'renamed', Properties: { rows: '200' }, PropertiesToRemove: ['owner'] }));
    const u = await sm.send(new DescribeArtifactCommand({ ArtifactArn: arn }));
    expect(u.ArtifactName).toBe('renamed');
    expect(u.Properties).toEqual({ rows: '200' });
    expect(u.LastModifiedTime!.getTime()).toBeGreaterThanOrEqual(d.LastModifiedTime!.getTime());

    const model = await artifact('s3://bucket/model.tar.gz', 'Model');
    const byType = await sm.send(new ListArtifactsCommand({ ArtifactType: 'Model' }));
    expect(byType.ArtifactSummaries!.map((s) => s.ArtifactArn)).toEqual([model]);
    const byUri = await sm.send(new ListArtifactsCommand({ SourceUri: 's3://bucket/data/train.csv', SortOrder: 'Ascending' }));
    expect(byUri.ArtifactSummaries!.map((s) => s.ArtifactArn)).toEqual([arn, other]);
    const page = await sm.send(new ListArtifactsCommand({ MaxResults: 2 }));
    expect(page.ArtifactSummaries).toHaveLength(2);
    expect(page.NextToken).toBeTruthy();
    // Newest first by default.
    expect(page.ArtifactSummaries![0].ArtifactArn).toBe(model);

    // Deleted by Source as well as by ARN.
    expect((await sm.send(new DeleteArtifactCommand({ Source: { SourceUri: 's3://bucket/model.tar.gz' } }))).ArtifactArn).toBe(model);
    expect((await sm.send(new DeleteArtifactCommand({ ArtifactArn: other }))).ArtifactArn).toBe(other);
    const gone = await rejection(sm.send(new DescribeArtifactCommand({ ArtifactArn: other })));
    expect([gone.name, gone.message, gone.$metadata.httpStatusCode]).toEqual(['ResourceNotFound', `Artifact ${other} does not exist.`, 400]);
    const neither = await rejection(sm.send(new DeleteArtifactCommand({})));
    expect([neither.name, neither.message]).toEqual(['ValidationException', 'Either ArtifactArn or Source must be specified.']);
    const badUpdate = await rejection(sm.send(new UpdateArtifactCommand({ ArtifactArn: `${ACCOUNT}:artifact/0123456789abcdef0123456789abcdef` })));
    expect(badUpdate.name).toBe('ResourceNotFound');
  });
});

describe('associations and QueryLineage', () => {
  it('links artifacts, actions, contexts and trial components, refuses missing ends, and walks the graph', async () => {
    // data -> [ContributedTo] training component -> [Produced] model -> approval action -> endpoint context
    const data = await artifact('s3://lin/data', 'DataSet', { Properties: { stage: 'raw' } });
    const image = await artifact('123.dkr.ecr.us-east-1.amazonaws.com/img:1', 'Image');
    const model = await artifact('s3://lin/model.tar.gz', 'Model', { Properties: { stage: 'trained' } });
    const tc = (await sm.send(new CreateTrialComponentCommand({ TrialComponentName: 'lin-train' }))).TrialComponentArn!;
    const approve = (await sm.send(new CreateActionCommand({ ActionName: 'lin-approve', ActionType: 'ModelApproval', Source: { SourceUri: 's3://lin/model.tar.gz' } }))).ActionArn!;
    const endpoint = (await sm.send(new CreateContextCommand({ ContextName: 'lin-endpoint', ContextType: 'Endpoint', Source: { SourceUri: 'arn:endpoint' } }))).ContextArn!;

    const added = await sm.send(new AddAssociationCommand({ SourceArn: data, DestinationArn: tc, AssociationType: 'ContributedTo' }));
    expect(added).toMatchObject({ SourceArn: data, DestinationArn: tc });
    await sm.send(new AddAssociationCommand({ SourceArn: image, DestinationArn: tc, AssociationType: 'ContributedTo' }));
    await sm.send(new AddAssociationCommand({ SourceArn: tc, DestinationArn: model, AssociationType: 'Produced' }));
    await sm.send(new AddAssociationCommand({ SourceArn: model, DestinationArn: approve }));
    await sm.send(new AddAssociationCommand({ SourceArn: approve, DestinationArn: endpoint, AssociationType: 'ContributedTo' }));
    // The same edge again is refused: ValidationException "... already exists" (what the SageMaker
    // Python SDK's lineage tracker catches to skip an association it made before); the first edge stands.
    const twice = await rejection(sm.send(new AddAssociationCommand({ SourceArn: data, DestinationArn: tc, AssociationType: 'AssociatedWith' })));
    expect([twice.name, twice.$metadata.httpStatusCode, twice.message]).toEqual(['ValidationException', 400, `Association from ${data} to ${tc} already exists.`]);
    const kept = await sm.send(new ListAssociationsCommand({ SourceArn: data, DestinationArn: tc }));
    expect(kept.AssociationSummaries?.map((a) => a.AssociationType)).toEqual(['ContributedTo']);

    const missing = `${ACCOUNT}:artifact/ffffffffffffffffffffffffffffffff`;
    const noSource = await rejection(sm.send(new AddAssociationCommand({ SourceArn: missing, DestinationArn: model })));
    expect([noSource.name, noSource.message, noSource.$metadata.httpStatusCode]).toEqual(['ResourceNotFound', `Artifact ${missing} does not exist.`, 400]);
    const noDest = await rejection(sm.send(new AddAssociationCommand({ SourceArn: model, DestinationArn: `${ACCOUNT}:context/nope` })));
    expect([noDest.name, noDest.message]).toEqual(['ResourceNotFound', `Context ${ACCOUNT}:context/nope does not exist.`]);

    // ListAssociations: by end, by type of an end, by association type; the default type is AssociatedWith.
    const fromModel = await sm.send(new ListAssociationsCommand({ SourceArn: model }));
    expect(fromModel.AssociationSummaries).toHaveLength(1);
    expect(fromModel.AssociationSummaries![0]).toMatchObject({ SourceArn: model, DestinationArn: approve, SourceType: 'Model', DestinationType: 'ModelApproval', AssociationType: 'AssociatedWith', DestinationName: 'lin-approve' });
    const intoTc = await sm.send(new ListAssociationsCommand({ DestinationArn: tc, SortBy: 'SourceType', SortOrder: 'Ascending' }));
    expect(intoTc.AssociationSummaries!.map((a) => a.SourceType)).toEqual(['DataSet', 'Image']);
    expect((await sm.send(new ListAssociationsCommand({ AssociationType: 'Produced' }))).AssociationSummaries!.map((a) => a.DestinationArn)).toEqual([model]);
    expect((await sm.send(new ListAssociationsCommand({ DestinationType: 'Endpoint' }))).AssociationSummaries!.map((a) => a.SourceArn)).toEqual([approve]);

    // Upstream of the endpoint: every entity, at most 10 edges away.
    const up = await sm.send(new QueryLineageCommand({ StartArns: [endpoint], Direction: 'Ascendants', IncludeEdges: false, MaxResults: 50 }));
    expect(new Set(up.Vertices!.map((v) => v.Arn))).toEqual(new Set([endpoint, approve, model, tc, data, image]));
    expect(up.Edges).toEqual([]);
    expect(up.Vertices!.find((v) => v.Arn === tc)).toEqual({ Arn: tc, LineageType: 'TrialComponent' });
    expect(up.Vertices!.find((v) => v.Arn === data)).toEqual({ Arn: data, Type: 'DataSet', LineageType: 'Artifact' });

    // Filters pick the datasets; IncludeEdges adds the path from the endpoint down to them.
    const datasets = await sm.send(new QueryLineageCommand({ StartArns: [endpoint], Direction: 'Ascendants', IncludeEdges: true, Filters: { Types: ['DataSet'] }, MaxResults: 50 }));
    expect(new Set(datasets.Vertices!.map((v) => v.Arn))).toEqual(new Set([data, tc, model, approve, endpoint]));
    expect(new Set(datasets.Edges!.map((e) => `${e.SourceArn}>${e.DestinationArn}:${e.AssociationType}`))).toEqual(
      new Set([`${data}>${tc}:ContributedTo`, `${tc}>${model}:Produced`, `${model}>${approve}:AssociatedWith`, `${approve}>${endpoint}:ContributedTo`]),
    );
    const onlyArtifacts = await sm.send(new QueryLineageCommand({ StartArns: [endpoint], Direction: 'Ascendants', IncludeEdges: false, Filters: { LineageTypes: ['Artifact'], Properties: { stage: 'trained' } } }));
    expect(onlyArtifacts.Vertices!.map((v) => v.Arn)).toEqual([model]);

    // MaxDepth bounds the walk; Descendants go the other way; Both goes both ways from the middle.
    const near = await sm.send(new QueryLineageCommand({ StartArns: [endpoint], Direction: 'Ascendants', IncludeEdges: false, MaxDepth: 2 }));
    expect(new Set(near.Vertices!.map((v) => v.Arn))).toEqual(new Set([endpoint, approve, model]));
    const down = await sm.send(new QueryLineageCommand({ StartArns: [data], Direction: 'Descendants', IncludeEdges: false, MaxResults: 50 }));
    expect(new Set(down.Vertices!.map((v) => v.Arn))).toEqual(new Set([data, tc, model, approve, endpoint]));
    const nothingAbove = await sm.send(new QueryLineageCommand({ StartArns: [data], Direction: 'Ascendants', IncludeEdges: false }));
    expect(nothingAbove.Vertices!.map((v) => v.Arn)).toEqual([data]);
    const both = await sm.send(new QueryLineageCommand({ StartArns: [model], Direction: 'Both', IncludeEdges: false, MaxDepth: 1 }));
    expect(new Set(both.Vertices!.map((v) => v.Arn))).toEqual(new Set([model, tc, approve]));

    // Pages of vertices.
    const first = await sm.send(new QueryLineageCommand({ StartArns: [endpoint], Direction: 'Ascendants', IncludeEdges: false, MaxResults: 4 }));
    expect(first.Vertices).toHaveLength(4);
    const second = await sm.send(new QueryLineageCommand({ StartArns: [endpoint], Direction: 'Ascendants', IncludeEdges: false, MaxResults: 4, NextToken: first.NextToken }));
    expect(second.Vertices).toHaveLength(2);
    expect(second.NextToken).toBeUndefined();

    const badStart = await rejection(sm.send(new QueryLineageCommand({ StartArns: [missing] })));
    expect([badStart.name, badStart.message]).toEqual(['ResourceNotFound', `Artifact ${missing} does not exist.`]);

    // Deleting an association, and deleting an entity: its edges go with it.
    await sm.send(new DeleteAssociationCommand({ SourceArn: image, DestinationArn: tc }));
    const again = await rejection(sm.send(new DeleteAssociationCommand({ SourceArn: image, DestinationArn: tc })));
    expect([again.name, again.message]).toEqual(['ResourceNotFound', `Association from ${image} to ${tc} does not exist.`]);
    await sm.send(new DeleteActionCommand({ ActionName: 'lin-approve' }));
    expect((await sm.send(new ListAssociationsCommand({ DestinationArn: endpoint }))).AssociationSummaries).toEqual([]);
    const cut = await sm.send(new QueryLineageCommand({ StartArns: [endpoint], Direction: 'Ascendants' }));
    expect(cut.Vertices!.map((v) => v.Arn)).toEqual([endpoint]);
  });

  it('takes an experiment as a Context vertex, and refuses another account\'s entity', async () => {
    const exp = (await sm.send(new CreateExperimentCommand({ ExperimentName: 'lin-exp' }))).ExperimentArn!;
    const ds = await artifact('s3://lin/exp-data', 'DataSet');
    await sm.send(new AddAssociationCommand({ SourceArn: ds, DestinationArn: exp, AssociationType: 'ContributedTo' }));
    const q = await sm.send(new QueryLineageCommand({ StartArns: [exp], Direction: 'Ascendants', IncludeEdges: true }));
    expect(q.Vertices).toEqual(expect.arrayContaining([{ Arn: exp, Type: 'Experiment', LineageType: 'Context' }, { Arn: ds, Type: 'DataSet', LineageType: 'Artifact' }]));
    expect(q.Edges).toEqual([{ SourceArn: ds, DestinationArn: exp, AssociationType: 'ContributedTo' }]);

    // The same artifact ARN seen from account 111122223333 names nothing there.
    const other = clients(emu.url, { accessKeyId: '111122223333' }).sagemaker;
    const theirs = (await other.send(new CreateArtifactCommand({ Source: { SourceUri: 's3://other/x' }, ArtifactType: 'DataSet' }))).ArtifactArn!;
    expect(theirs.split(':')[4]).toBe('111122223333');
    const cross = await rejection(other.send(new AddAssociationCommand({ SourceArn: theirs, DestinationArn: ds })));
    expect([cross.name, cross.message]).toEqual(['ResourceNotFound', `Artifact ${ds} does not exist.`]);
  });

  it('has no lineage groups: none is created offline', async () => {
    expect((await sm.send(new ListLineageGroupsCommand({}))).LineageGroupSummaries).toEqual([]);
    const d = await rejection(sm.send(new DescribeLineageGroupCommand({ LineageGroupName: 'Grp' })));
    expect([d.name, d.message]).toEqual(['ResourceNotFound', `Lineage group ${ACCOUNT}:lineage-group/grp does not exist.`]);
    const p = await rejection(sm.send(new GetLineageGroupPolicyCommand({ LineageGroupName: 'grp' })));
    expect(p.name).toBe('ResourceNotFound');
  });
});
