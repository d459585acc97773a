import type { Rng } from '../../../../../core/random.js';
import type { ServiceModel } from '../../../../protocol/service-model.js';

/**
 * Resource families whose Describe is keyed by more than one member (a user profile is
 * DomainId + UserProfileName) or by an identifier the service assigns on Create (a domain's
 * DomainId, a compute quota's ComputeQuotaId, a partner app's Arn). The single-key derivation
 * (../families.ts) skips them; this one reads the same service model:
 * - the identity is every member of Describe's input that Create's input also has;
 * - the assigned identifier is Describe's one required member that Create does not take, and
 *   its format comes from the member's pattern (`d-(-*[a-z0-9]){1,61}` → `d-` and 12 characters);
 * - a parent is another keyed family whose whole identity is part of this one's (a user profile's
 *   domain; an app's domain and its user profile or space).
 * Only the families named in `KEYED_FAMILIES` are derived, so that a family another service owns
 * (lineage artifacts, model card export jobs) is not taken by accident.
 */
export interface KeyedFamily {
  name: string;
  /** Identity members the caller names, in Describe's order (DomainId, UserProfileName). */
  keys: string[];
  /** The identifier the service assigns on Create, where there is one. */
  assigned?: { member: string; isArn: boolean; make: (rng: Rng) => string };
  resourceType: string;
  /** The member that carries the ARN in the outputs (DomainArn, Arn). */
  arnMember: string;
  /** The member with the resource's own name, for NameContains and Name sorting (DomainName, Name). */
  nameMember?: string;
  status?: { member: string; values: string[] };
  ops: { create: string; describe: string; list?: string; update?: string; delete?: string };
  listMember?: { member: string; shape: string };
  /** Families whose identity this one's contains: they must exist for a Create. */
  parents: string[];
  /** Whether Describe answers ResourceNotFound (the model lists it) or a ValidationException. */
  notFound: 'ResourceNotFound' | 'ValidationException';
  /** A member counting the resource's versions (ComputeQuotaVersion): 1 on Create, one more on each Update. */
  versionMember?: string;
  /** The status a deleted resource keeps (an app stays listed as Deleted); else it is gone. */
  keepsDeletedAs?: string;
  /** How AWS names the type in its messages: "Unable to delete UserProfile [arn] ...". */
  messageName: string;
}

/** The families this derivation serves (Studio and the other families keyed by assigned identifiers). */
export const KEYED_FAMILIES = ['Domain', 'UserProfile', 'Space', 'App', 'MlflowApp', 'PartnerApp', 'ComputeQuota', 'ClusterSchedulerConfig'];

interface KeyedOverride {
  /** The assigned identifier's format, where the model's pattern does not say (`mlflow-app/.*`). */
  assignedFormat?: string;
  keepsDeletedAs?: string;
}

/** Where AWS's behaviour is not in the model. */
const KEYED_OVERRIDES: Record<string, KeyedOverride> = {
  // ListApps keeps answering deleted apps, with Status Deleted (AWS's own clean-up samples skip
  // them by that status); DescribeApp answers them too.
  App: { keepsDeletedAs: 'Deleted' },
  // MLflow apps are named like partner apps, app- and 12 upper-case letters or digits, as AWS's
  // MLflow app ARNs read (arn:aws:sagemaker:<region>:<account>:mlflow-app/app-IN74ELWDTMBI).
  MlflowApp: { assignedFormat: 'app-[A-Z0-9]{12}' },
};

export function deriveKeyedFamilies(model: ServiceModel): KeyedFamily[] {
  const ops = model.operations;
  const shapeOf = (op: string | undefined, side: 'input' | 'output') => {
    const ref = op ? ops[op]?.[side] : undefined;
    return ref ? model.shapes[ref.shape] : undefined;
  };
  const families: KeyedFamily[] = [];
  for (const name of KEYED_FAMILIES) {
    const create = `Create${name}`;
    const describe = `Describe${name}`;
    const createIn = shapeOf(create, 'input');
    const describeIn = shapeOf(describe, 'input');
    const describeOut = shapeOf(describe, 'output');
    const createOut = shapeOf(create, 'output');
    if (!createIn || !describeIn || !describeOut) throw new Error(`service model lacks ${create} or ${describe}`);
    const keys = Object.keys(describeIn.members ?? {}).filter((m) => createIn.members?.[m]);
    const assignedMember = (describeIn.required ?? []).find((m) => !createIn.members?.[m]);
    const override = KEYED_OVERRIDES[name] ?? {};
    const arnMember = [`${name}Arn`, 'Arn'].find((m) => describeOut.members?.[m] || createOut?.members?.[m])!;
    const arnPattern = model.shapes[(describeOut.members?.[arnMember] ?? createOut?.members?.[arnMember])!.shape]?.pattern ?? '';
    const resourceType = /\{12\}:([a-z][a-z0-9-]*)\\?\//.exec(arnPattern)?.[1] ?? kebab(name);
    let assigned: KeyedFamily['assigned'];
    if (assignedMember) {
      const isArn = assignedMember === arnMember;
      const pattern = isArn ? (override.assignedFormat ?? arnPattern.slice(arnPattern.indexOf(`${resourceType}`) + resourceType.length).replace(/^\\?\//, '')) : (model.shapes[describeIn.members![assignedMember].shape].pattern ?? '');
      const make = idMaker(override.assignedFormat ?? pattern);
      if (!make) throw new Error(`no identifier format for ${name}.${assignedMember} in pattern ${pattern}`);
      assigned = { member: assignedMember, isArn, make };
    }
    const statusMember = [`${name}Status`, 'Status'].find((m) => model.shapes[describeOut.members?.[m]?.shape ?? '']?.enum);
    const listOp = [`List${name}s`, `List${name.replace(/y$/, 'ies')}`].find((n) => ops[n]);
    const listOut = shapeOf(listOp, 'output');
    const listEntry = Object.entries(listOut?.members ?? {}).find(([, mm]) => model.shapes[mm.shape]?.type === 'list');
    const nameMember = [`${name}Name`, 'Name'].find((m) => describeOut.members?.[m] && !keys.includes(m)) ?? keys.find((k) => k === `${name}Name`);
    const versionMember = `${name}Version`;
    families.push({
      name,
      keys,
      assigned,
      resourceType,
      arnMember,
      nameMember,
      status: statusMember ? { member: statusMember, values: model.shapes[describeOut.members![statusMember].shape].enum! } : undefined,
      ops: {
        create,
        describe,
        list: listOp,
        update: ops[`Update${name}`] ? `Update${name}` : undefined,
        delete: ops[`Delete${name}`] ? `Delete${name}` : undefined,
      },
      listMember: listEntry ? { member: listEntry[0], shape: model.shapes[listEntry[1].shape].member!.shape } : undefined,
      parents: [],
      notFound: (ops[describe].errors ?? []).some((e) => e.shape === 'ResourceNotFound') ? 'ResourceNotFound' : 'ValidationException',
      versionMember: describeOut.members?.[versionMember] && model.shapes[describeOut.members[versionMember].shape].type === 'integer' ? versionMember : undefined,
      keepsDeletedAs: override.keepsDeletedAs,
      messageName: name,
    });
  }
  // A parent's identity (its keys, or the identifier it is assigned) is wholly part of the child's.
  for (const f of families) {
    f.parents = families
      .filter((p) => p !== f)
      .filter((p) => {
        const identity = identityMembers(p);
        return identity.length > 0 && identity.every((m) => f.keys.includes(m)) && !(p.assigned?.isArn);
      })
      .map((p) => p.name);
  }
  return families;
}

/** The members that together name one resource of the family. */
export function identityMembers(f: KeyedFamily): string[] {
  return f.assigned ? [f.assigned.member, ...f.keys] : f.keys;
}

const kebab = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();

/**
 * An identifier generator for the common shapes of the model's id patterns: a literal prefix and a
 * character class, repeated a fixed number of times or (for open ranges like {1,61}) 12 times,
 * which is the length AWS uses (d-abcdef123456).
 */
export function idMaker(pattern: string): ((rng: Rng) => string) | undefined {
  const m = /^\^?([A-Za-z0-9_-]*?)\(?(?:-\*)?\[([^\]]+)\]\)?(?:\{(\d+)(?:,(\d+))?\})?/.exec(pattern);
  if (!m) return undefined;
  const [, prefix, cls, min, max] = m;
  const chars = expandClass(cls);
  if (!chars.length) return undefined;
  const length = min && !max ? Number(min) : 12;
  return (rng) => prefix + Array.from({ length }, () => chars[rng.int(chars.length)]).join('');
}

function expandClass(cls: string): string {
  let out = '';
  for (let i = 0; i < cls.length; i++) {
    if (cls[i + 1] === '-' && i + 2 < cls.length) {
      for (let c = cls.charCodeAt(i); c <= cls.charCodeAt(i + 2); c++) out += String.fromCharCode(c);
      i += 2;
    } else if (cls[i] !== '\\') out += cls[i];
  }
  return out;
}
