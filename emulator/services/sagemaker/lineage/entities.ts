/**
 * The entities lineage connects (artifacts, actions, contexts, trial components, experiments),
 * read back from the store by ARN: the vertex a query answers, and the name and type an
 * association summary shows. Actions, contexts, trial components and experiments are the
 * generic engine's records; artifacts are this folder's.
 */
import type { Database } from '../../../storage/database.js';
import { JOB_SOURCE, JOBS, type JobKind } from '../search/job-components.js';

export const ARTIFACT_KIND = 'lineage:Artifact';

/** The record shape the engine and the artifact service both keep. */
export interface StoredEntity {
  input: Record<string, unknown>;
  arn: string;
  created: Date;
  modified: Date;
}

export type LineageType = 'Artifact' | 'Action' | 'Context' | 'TrialComponent';

export interface Entity {
  arn: string;
  name?: string;
  /** The resource type in the ARN (artifact, action, context, experiment-trial-component, experiment). */
  arnType: string;
  /** Vertex.LineageType (an experiment counts as a Context, the enum having no Experiment). */
  lineageType?: LineageType;
  /** Vertex.Type: the ArtifactType, ActionType or ContextType; a job's trial component's source type; Experiment. */
  type?: string;
  created: Date;
  modified: Date;
  properties: Record<string, string>;
}

const KINDS: Record<string, { kind: string; lineageType?: LineageType; typeMember?: string; readable: string }> = {
  artifact: { kind: ARTIFACT_KIND, lineageType: 'Artifact', typeMember: 'ArtifactType', readable: 'Artifact' },
  action: { kind: 'engine:Action', lineageType: 'Action', typeMember: 'ActionType', readable: 'Action' },
  context: { kind: 'engine:Context', lineageType: 'Context', typeMember: 'ContextType', readable: 'Context' },
  'experiment-trial-component': { kind: 'engine:TrialComponent', lineageType: 'TrialComponent', readable: 'Trial component' },
  // LineageType has no Experiment: an experiment is a context of its trials' components here
  // (Type Experiment), so that clients that need a LineageType on every vertex (the SageMaker
  // Python SDK's LineageQuery) can read it.
  experiment: { kind: 'engine:Experiment', lineageType: 'Context', readable: 'Experiment' },
};

/** `artifact` in arn:aws:sagemaker:<region>:<account>:artifact/<id>. */
export function arnTypeOf(arn: string): string {
  return /^arn:[^:]+:sagemaker:[^:]*:[^:]*:([a-z-]+)\//.exec(arn)?.[1] ?? '';
}

/** Words for an end that is missing: "Artifact", "Trial component". */
export function readableOf(arn: string): string {
  return KINDS[arnTypeOf(arn)]?.readable ?? 'Resource';
}

/**
 * The entity an ARN names, or undefined when nothing of a lineage kind has that ARN in the
 * caller's account and region (another account's entity is not the caller's to link).
 */
export function entityByArn(db: Database, arn: string, caller: { accountId: string; region: string }): Entity | undefined {
  const arnType = arnTypeOf(arn);
  const k = KINDS[arnType];
  const scope = scopeOfArn(arn);
  if (scope.accountId !== caller.accountId || scope.region !== caller.region) return undefined;
  const hit = k && db.byArn(arn);
  if (!hit || hit.kind !== k.kind) return undefined;
  const found = db.get<StoredEntity>(scope, k.kind, hit.name);
  if (!found) return undefined;
  const r = found.data;
  let type = k.typeMember ? (r.input[k.typeMember] as string | undefined) : undefined;
  if (arnType === 'experiment-trial-component') {
    const source = (r.input.Source as { SourceType?: string } | undefined)?.SourceType;
    const job = db.get<{ kind: JobKind }>(scope, JOB_SOURCE, found.name)?.data.kind;
    type = source ?? (job ? JOBS[job].type : undefined);
  }
  if (arnType === 'experiment') type = 'Experiment';
  return {
    arn: found.arn,
    // An artifact has a name only if one was given (its ARN's id is no name): an association
    // summary then shows none, and the SageMaker Python SDK's LineageTableVisualizer shows the
    // artifact's source URI instead.
    name: arnType === 'artifact' ? (r.input.ArtifactName as string | undefined) : found.name,
    arnType,
    lineageType: k.lineageType,
    type,
    created: new Date(r.created),
    modified: new Date(r.modified),
    properties: (r.input.Properties as Record<string, string> | undefined) ?? {},
  };
}

/** The account and region an ARN lives in. */
export function scopeOfArn(arn: string): { accountId: string; region: string } {
  const [, , , region, accountId] = arn.split(':');
  return { accountId, region };
}
