/**
 * Experiments and Search through the AWS SDK for JavaScript v3: trial components associated with
 * trials, Search over them with filters, nested filters and sub-expressions, the result shapes
 * and the paginator.
 */
import {
  AssociateTrialComponentCommand,
  CreateExperimentCommand,
  CreateTrialCommand,
  CreateTrialComponentCommand,
  DeleteTrialComponentCommand,
  DescribeTrialComponentCommand,
  ListTrialComponentsCommand,
  SearchCommand,
  UpdateTrialComponentCommand,
  paginateSearch,
} from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients } from './helpers/clients.js';
import { startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';

let emu: EmulatorProcess;
let c: ReturnType<typeof clients>;

beforeAll(async () => {
  emu = await startEmulatorProcess();
  c = clients(emu.url);
  await c.sagemaker.send(new CreateExperimentCommand({ ExperimentName: 'js-exp' }));
  await c.sagemaker.send(new CreateTrialCommand({ TrialName: 'js-trial', ExperimentName: 'js-exp' }));
  for (let i = 0; i < 5; i++) {
    await c.sagemaker.send(new CreateTrialComponentCommand({ TrialComponentName: `js-tc-${i}`, Parameters: { depth: { NumberValue: i } }, Status: { PrimaryStatus: i % 2 ? 'Completed' : 'InProgress' } }));
    if (i < 3) await c.sagemaker.send(new AssociateTrialComponentCommand({ TrialComponentName: `js-tc-${i}`, TrialName: 'js-trial' }));
  }
}, 60_000);
afterAll(async () => {
  await emu?.stop();
});

describe('experiments and Search', () => {
  it('finds trial components by parameter, status and parent, in the Results shape', async () => {
    const out = await c.sagemaker.send(
      new SearchCommand({
        Resource: 'ExperimentTrialComponent',
        SearchExpression: {
          Operator: 'And',
          Filters: [{ Name: 'Parameters.depth', Operator: 'GreaterThanOrEqualTo', Value: '1' }],
          SubExpressions: [{ Operator: 'Or', Filters: [{ Name: 'Status.PrimaryStatus', Operator: 'Equals', Value: 'Completed' }, { Name: 'TrialComponentName', Operator: 'Equals', Value: 'js-tc-2' }] }],
          NestedFilters: [{ NestedPropertyName: 'Parents', Filters: [{ Name: 'Parents.ExperimentName', Operator: 'Equals', Value: 'js-exp' }] }],
        },
        SortBy: 'TrialComponentName',
        SortOrder: 'Ascending',
      }),
    );
    expect(out.Results!.map((r) => r.TrialComponent!.TrialComponentName)).toEqual(['js-tc-1', 'js-tc-2']);
    expect(out.Results![0].TrialComponent!.Parameters!.depth.NumberValue).toBe(1);
    expect(out.Results![0].TrialComponent!.CreationTime).toBeInstanceOf(Date);
  });

  it('pages with the SDK paginator and sees updates and deletes', async () => {
    await c.sagemaker.send(new UpdateTrialComponentCommand({ TrialComponentName: 'js-tc-4', Parameters: { depth: { NumberValue: 40 } } }));
    expect((await c.sagemaker.send(new DescribeTrialComponentCommand({ TrialComponentName: 'js-tc-4' }))).Parameters!.depth.NumberValue).toBe(40);
    await c.sagemaker.send(new DeleteTrialComponentCommand({ TrialComponentName: 'js-tc-3' }));
    const seen: string[] = [];
    for await (const page of paginateSearch({ client: c.sagemaker, pageSize: 2 }, { Resource: 'ExperimentTrialComponent', SortBy: 'Parameters.depth', SortOrder: 'Descending' })) {
      expect(page.Results!.length).toBeLessThanOrEqual(2);
      seen.push(...page.Results!.map((r) => r.TrialComponent!.TrialComponentName!));
    }
    expect(seen).toEqual(['js-tc-4', 'js-tc-2', 'js-tc-1', 'js-tc-0']);
    const inTrial = await c.sagemaker.send(new ListTrialComponentsCommand({ TrialName: 'js-trial' }));
    expect(inTrial.TrialComponentSummaries!.map((s) => s.TrialComponentName).sort()).toEqual(['js-tc-0', 'js-tc-1', 'js-tc-2']);
  });

  it('refuses a resource Search does not serve here', async () => {
    const e = await c.sagemaker.send(new SearchCommand({ Resource: 'FeatureGroup' })).catch((x) => x);
    expect(e.name).toBe('ValidationException');
  });
});
