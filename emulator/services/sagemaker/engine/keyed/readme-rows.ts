import { keyedLifecycle } from './engine.js';
import { identityMembers } from './families.js';
import { keyedFamilies, keyedFamilyOperations } from './index.js';

/**
 * The README table's rows for the keyed families and the hand-written layers beside them, and
 * what they do not do (readme-table.ts places them). Generated from the families so they cannot drift.
 */
export function keyedReadmeRows(): string[] {
  const rows: string[] = [];
  for (const f of keyedFamilies()) {
    const life = keyedLifecycle(f);
    const verbs = keyedFamilyOperations(f).map((op) => op.replace(f.name, '').replace(/^(List).*$/, '$1'));
    const states = life
      ? [life.create!.join(' → '), life.update && `Update: ${life.update.join(' → ')}`, life.deleting && `Delete: ${life.deleting} → ${f.keepsDeletedAs ?? 'gone'}`].filter(Boolean).join('; ')
      : '';
    const identity = f.assigned
      ? `assigned ${f.assigned.member}`
      : `keyed by ${identityMembers(f).join(' + ')}`;
    const notes = [identity, f.parents.length ? `needs its ${f.parents.join(' / ')}` : '', f.versionMember ? `${f.versionMember} counts updates (TargetVersion must be the current one)` : '']
      .filter(Boolean)
      .join('; ');
    rows.push(`| ${f.name} | ${verbs.join(', ')} | \`${f.resourceType}\` | ${states}; ${notes} |`);
  }
  rows.push(
    '| ImageVersion | Create, Describe, List, Update, Delete, ListAliases | `image-version` | CREATING → CREATED; Delete: DELETING → gone; versions of an image numbered from 1 (`image-version/<image>/<n>`), never reused; aliases unique within the image; gone with its image |',
    '| HubContent | Import, Describe, List, ListVersions, Update, Delete; Create/Update/Delete HubContentReference | `hub-content` | Importing → Available; keyed by hub + type + name + version (`1.0.0` when none is given), latest by semantic version; a reference is a ModelReference to a public hub model |',
  );
  return rows;
}

export const keyedReadmeNotes = (): string[] => [
  `Besides those, ${keyedFamilies().length} families keyed by several members or by an identifier the service assigns`,
  `(${keyedFamilies().map((f) => f.name).join(', ')}) are derived from the model the same way: the identity is every`,
  'member Describe and Create share, the assigned identifier\'s format comes from its pattern (`d-` and 12 characters for',
  'a DomainId), and a family whose identity contains another\'s needs that parent to exist.',
  '',
  'Studio\'s domains, user profiles, spaces and apps are metadata too: no Studio, JupyterLab or Code Editor runs, no',
  'EFS volume is made (`HomeEfsFileSystemId` and the members\' `HomeEfsFileSystemUid` are identifiers only), and `Url`',
  'points nowhere. A domain refuses DeleteDomain while user profiles or spaces belong to',
  'it, a user profile or space while it has apps that are not Deleted, and a user profile while it owns a private space',
  '(`ResourceInUse` "Unable to delete UserProfile [arn] because App(s) are associated with it."); a member needs its',
  'domain (and a private space its owner) to exist. MLflow apps serve no MLflow, partner apps no partner application;',
  'compute quotas and cluster scheduler configs schedule nothing (their `ClusterArn` is recorded, not checked). Image',
  'versions pull no container image, hub contents fetch no model artifacts. `ListResourceCatalogs` answers the',
  'account\'s `DefaultFeatureGroupCatalog`; `GetSearchSuggestions` suggests the property names of the service model\'s',
  'search record for the resource, not keys seen in stored data.',
];
