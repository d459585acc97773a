import type { OperationHandler } from '../../../protocol/aws-json.js';
import { sagemakerModel } from '../../../protocol/service-model.js';
import type { ServiceDeps } from '../../deps.js';
import { ArtifactService } from './artifacts.js';
import { AssociationService } from './associations.js';
import { lineageGroups } from './lineage-groups.js';
import { LineageQuery } from './query.js';

/** ML lineage tracking: artifacts, associations between lineage entities, and QueryLineage over them. */
export function lineageOperations(deps: ServiceDeps): Record<string, OperationHandler> {
  const model = sagemakerModel();
  const artifacts = new ArtifactService(deps, model);
  const associations = new AssociationService(deps, model);
  const query = new LineageQuery(deps.db, model, associations);
  return {
    CreateArtifact: (i, c) => artifacts.create(i, c),
    DescribeArtifact: (i, c) => artifacts.describe(i, c),
    ListArtifacts: (i, c) => artifacts.list(i, c),
    UpdateArtifact: (i, c) => artifacts.update(i, c),
    DeleteArtifact: (i, c) => artifacts.delete(i, c),
    AddAssociation: (i, c) => associations.add(i, c),
    DeleteAssociation: (i, c) => associations.delete(i, c),
    ListAssociations: (i, c) => associations.list(i, c),
    QueryLineage: (i, c) => query.query(i, c),
    DescribeLineageGroup: (i, c) => lineageGroups.describe(i, c),
    ListLineageGroups: () => lineageGroups.list(),
    GetLineageGroupPolicy: (i, c) => lineageGroups.policy(i, c),
  };
}

/** The operations above, for the catalog (which must not build services to learn their names). */
export const LINEAGE_OPERATIONS = [
  'CreateArtifact', 'DescribeArtifact', 'ListArtifacts', 'UpdateArtifact', 'DeleteArtifact',
  'AddAssociation', 'DeleteAssociation', 'ListAssociations', 'QueryLineage',
  'DescribeLineageGroup', 'ListLineageGroups', 'GetLineageGroupPolicy',
];
