/**
 * Search resources that are not one resource per List entry: FeatureMetadata (one record per
 * feature of every feature group) and PipelineVersion (every version of every pipeline). Each
 * record is built from the operations a client would call and projected on its SearchRecord
 * member's shape.
 */
import type { OperationHandler } from '../../../protocol/aws-json.js';
import type { RequestContext } from '../../../protocol/context.js';
import { AwsError } from '../../../protocol/errors.js';
import { sagemakerModel } from '../../../protocol/service-model.js';
import { conform } from '../engine/shapes.js';

type Doc = Record<string, any>;

export type SearchSource = (ctx: RequestContext) => Promise<Doc[]>;

async function listAll(ops: Record<string, OperationHandler>, op: string, member: string, input: Doc, ctx: RequestContext): Promise<Doc[]> {
  const out: Doc[] = [];
  let NextToken: string | undefined;
  do {
    const page = (await ops[op]({ ...input, MaxResults: 100, NextToken }, ctx)) as Doc;
    out.push(...((page[member] as Doc[]) ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}

/** Describe-style calls on something deleted between the List and the call answer nothing. */
async function maybe<T>(p: Promise<T> | T): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof AwsError) return undefined;
    throw e;
  }
}

/** `ops()`: the emulator's finished operation table (read at search time). */
export function moreSearchSources(ops: () => Record<string, OperationHandler>): Record<string, SearchSource> {
  const model = sagemakerModel();
  return {
    FeatureMetadata: async (ctx) => {
      const out: Doc[] = [];
      for (const g of await listAll(ops(), 'ListFeatureGroups', 'FeatureGroupSummaries', {}, ctx)) {
        const group = (await maybe(ops().DescribeFeatureGroup({ FeatureGroupName: g.FeatureGroupName }, ctx))) as Doc | undefined;
        for (const f of (group?.FeatureDefinitions as Doc[] | undefined) ?? []) {
          const doc = await maybe(ops().DescribeFeatureMetadata({ FeatureGroupName: group!.FeatureGroupName, FeatureName: f.FeatureName }, ctx));
          if (doc) out.push(conform(model, 'FeatureMetadata', doc) as Doc);
        }
      }
      return out;
    },
    PipelineVersion: async (ctx) => {
      const out: Doc[] = [];
      for (const p of await listAll(ops(), 'ListPipelines', 'PipelineSummaries', {}, ctx)) {
        const versions = (await maybe(listAll(ops(), 'ListPipelineVersions', 'PipelineVersionSummaries', { PipelineName: p.PipelineName }, ctx))) ?? [];
        for (const v of versions) {
          const last = v.LastExecutionPipelineExecutionArn
            ? ((await maybe(ops().DescribePipelineExecution({ PipelineExecutionArn: v.LastExecutionPipelineExecutionArn }, ctx))) as Doc | undefined)
            : undefined;
          out.push(
            conform(model, 'PipelineVersion', {
              ...v,
              LastExecutedPipelineExecutionArn: v.LastExecutionPipelineExecutionArn,
              LastExecutedPipelineExecutionDisplayName: last?.PipelineExecutionDisplayName,
              LastExecutedPipelineExecutionStatus: last?.PipelineExecutionStatus,
            }) as Doc,
          );
        }
      }
      return out;
    },
  };
}
