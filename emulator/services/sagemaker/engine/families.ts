import type { Rng } from '../../../../core/random.js';
import type { ServiceModel, Shape } from '../../../protocol/service-model.js';

/**
 * Resource families derived from SageMaker's service model: every Create<X> that has a
 * Describe<X> keyed by one member the caller names is a family, with whichever of List, Update,
 * Delete, Start and Stop the model declares for it. Nothing here is written per family except
 * the overrides in `FAMILY_OVERRIDES`, which say where AWS behaves in a way the model cannot tell.
 */
export interface Family {
  /** `NotebookInstance`: the operation names are `<Verb><name>`. */
  name: string;
  /** The member that names a resource in Create and Describe (`NotebookInstanceName`). */
  key: string;
  /** ARN resource type: `notebook-instance` in arn:aws:sagemaker:<region>:<account>:notebook-instance/<name>. */
  resourceType: string;
  /** The member that carries the ARN in Describe's and Create's outputs. */
  arnMember?: string;
  /** Describe output's status member and its enum. */
  status?: { member: string; values: string[] };
  ops: { create: string; describe: string; list?: string; update?: string; delete?: string; start?: string; stop?: string };
  /** List output's member with the summaries, and the summary shape. */
  listMember?: { member: string; shape: string };
  /** Whether a missing resource is ResourceNotFound (per the Describe operation's errors) or a ValidationException. */
  notFound: 'ResourceNotFound' | 'ValidationException';
  /** Whether Create of a taken name is ResourceInUse (the model lists it) or a ValidationException. */
  inUse: 'ResourceInUse' | 'ValidationException';
  /** Describe's member that wraps the whole resource (DescribeWorkforce answers {Workforce: {...}}). */
  describeWrapper?: string;
  /** Words for messages: "notebook instance". */
  readable: string;
}

export interface Override {
  /** The exact message AWS gives for a missing resource (default: "Could not find <readable> "<arn>"."); `verb` is the operation's ("describe", "delete"). */
  notFoundMessage?: (name: string, arn: string, verb: Verb) => string;
  /** The code AWS answers a missing resource with, where it differs from what Describe declares. */
  notFoundCode?: 'ValidationException';
  /** The exact message AWS gives for Create of a taken name (default: "Cannot create already existing <readable> "<arn>"."). */
  inUseMessage?: (name: string, arn: string) => string;
  /** Members AWS fills in when the caller leaves them out (the caller's value wins). */
  defaults?: (name: string, region: string) => Record<string, unknown>;
  /** Identifiers the service assigns on Create (a project's ProjectId). */
  assigned?: (rng: Rng) => Record<string, unknown>;
  /** The ARN's path after the resource type, where it is not the lower-cased name. */
  arnPath?: (name: string) => string;
  /** A member counting the resource's versions: 1 on Create, one more on each Update. */
  versionMember?: string;
  /** Operations allowed only while the resource is stopped (or failed). */
  onlyWhenStopped?: ('update' | 'delete')[];
}

/** The operation a message speaks of: "describe" for DescribeX, "delete" for DeleteX. */
export type Verb = string;
export const messageVerb = (op: string): Verb => (/^[A-Z][a-z]+/.exec(op)?.[0] ?? op).toLowerCase();

/** Where AWS's behaviour is not in the model. */
export const FAMILY_OVERRIDES: Record<string, Override> = {
  // DescribeNotebookInstance on a missing name: ValidationException "RecordNotFound".
  // Update and Delete need a stopped notebook instance (UpdateNotebookInstance, DeleteNotebookInstance docs).
  // Defaults per the CreateNotebookInstance API reference (5 GB volume, internet and root access
  // Enabled); the Url is where AWS would serve Jupyter (nothing serves it here).
  // CreateProject answers a ProjectId the service assigns (p- and 12 lower-case letters or digits).
  // A missing project is "Project <arn> does not exist." and a taken name "Project already exists:
  // <arn>", both ValidationExceptions: the wordings AWS's own CloudFormation handler for
  // AWS::SageMaker::Project (aws-cloudformation-resource-providers-sagemaker) matches.
  Project: {
    assigned: (rng) => ({ ProjectId: `p-${Array.from({ length: 12 }, () => 'abcdefghijklmnopqrstuvwxyz0123456789'[rng.int(36)]).join('')}` }),
    notFoundMessage: (_name, arn) => `Project ${arn} does not exist.`,
    inUseMessage: (_name, arn) => `Project already exists: ${arn}`,
  },
  // Private work teams live under private-crowd/ (arn:aws:sagemaker:<region>:<account>:workteam/private-crowd/<name>).
  // A missing work team, workforce or device fleet is a ValidationException starting "The work team",
  // "No workforce" and "No devicefleet with name": what the Terraform AWS provider matches to tell
  // them gone (its acceptance tests run against AWS); a device fleet's, though DescribeDeviceFleet
  // declares ResourceNotFound.
  Workteam: { arnPath: (name) => `private-crowd/${name.toLowerCase()}`, notFoundMessage: (_name, arn) => `The work team ${arn} does not exist.` },
  Workforce: { notFoundMessage: (name) => `No workforce with name ${name}.` },
  DeviceFleet: { notFoundCode: 'ValidationException', notFoundMessage: (name) => `No devicefleet with name ${name}.` },
  // DescribeImage on a missing image: ResourceNotFound "Image with ARN <arn> does not exist" (as
  // AWS answers it; botocore issue 3782 quotes the answer).
  Image: { notFoundMessage: (_name, arn) => `Image with ARN ${arn} does not exist` },
  // A missing group is ValidationException "ModelPackageGroup <arn> does not exist." and a taken name
  // "Model Package Group already exists: <arn>": the wordings AWS's CloudFormation handler for
  // AWS::SageMaker::ModelPackageGroup matches (the Terraform provider, too, tells a missing group by
  // "does not exist" in a ValidationException).
  ModelPackageGroup: {
    notFoundMessage: (_name, arn) => `ModelPackageGroup ${arn} does not exist.`,
    inUseMessage: (_name, arn) => `Model Package Group already exists: ${arn}`,
  },
  // A taken experiment, trial or trial component name: a ValidationException saying it "already
  // exists", which the SageMaker Python SDK (Experiment/Trial/_TrialComponent._load_or_create, under
  // Run) matches to load the existing one; its unit tests model the answer as "Experiment with name
  // (<name>) already exists.".
  Experiment: { inUseMessage: (name) => `Experiment with name (${name}) already exists.` },
  Trial: { inUseMessage: (name) => `Trial with name (${name}) already exists.` },
  TrialComponent: { inUseMessage: (name) => `TrialComponent with name (${name}) already exists.` },
  // CreateFeatureGroup of a taken name: ResourceInUse with this two-line message (as a real answer
  // was pasted into moto's PR 7239 and its test).
  FeatureGroup: {
    inUseMessage: (name) => `Resource Already Exists: FeatureGroup with name ${name} already exists. Choose a different name.\nInfo: Feature Group '${name}' already exists.`,
  },
  // Each UpdateModelCard makes a new version of the card (DescribeModelCard's ModelCardVersion).
  ModelCard: { versionMember: 'ModelCardVersion' },
  // A taken notebook instance name, and a lifecycle configuration missing or taken: the wordings moto
  // reproduces for them (moto's describe wording for the lifecycle configuration is the prefix AWS's
  // own Kubernetes controller, aws-controllers-k8s/sagemaker-controller, matches as not found).
  NotebookInstanceLifecycleConfig: {
    notFoundMessage: (_name, arn, verb) => `Unable to ${verb} Notebook Instance Lifecycle Config '${arn}'. (Details: Notebook Instance Lifecycle Config does not exist.)`,
    inUseMessage: (_name, arn) => `Unable to create Notebook Instance Lifecycle Config ${arn}. (Details: Notebook Instance Lifecycle Config already exists.)`,
  },
  NotebookInstance: {
    notFoundMessage: () => 'RecordNotFound',
    inUseMessage: (_name, arn) => `Cannot create a duplicate Notebook Instance (${arn})`,
    onlyWhenStopped: ['update', 'delete'],
    defaults: (name, region) => ({
      DirectInternetAccess: 'Enabled',
      RootAccess: 'Enabled',
      VolumeSizeInGB: 5,
      Url: `${name.toLowerCase()}.notebook.${region}.sagemaker.aws`,
    }),
  },
};

export function deriveFamilies(model: ServiceModel, excluded: (family: string) => boolean): { families: Family[]; skipped: Record<string, string> } {
  const ops = model.operations;
  const families: Family[] = [];
  const skipped: Record<string, string> = {};
  for (const opName of Object.keys(ops)) {
    const m = /^Create(.+)$/.exec(opName);
    if (!m) continue;
    const name = m[1];
    if (excluded(name)) continue;
    const describe = ops[`Describe${name}`];
    if (!describe?.input || !ops[opName].input) {
      skipped[name] = 'no Describe operation to read the resource back';
      continue;
    }
    const describeInput = model.shapes[describe.input.shape];
    const required = describeInput.required ?? [];
    if (required.length !== 1) {
      skipped[name] = `Describe${name} is keyed by ${required.length ? required.join(' + ') : 'no required member'}`;
      continue;
    }
    const key = required[0];
    const createInput = model.shapes[ops[opName].input!.shape];
    if (!createInput.members?.[key]) {
      skipped[name] = `the service assigns ${key} (not named by the caller)`;
      continue;
    }
    const describeOut = describe.output ? model.shapes[describe.output.shape] : undefined;
    const createOut = ops[opName].output ? model.shapes[ops[opName].output!.shape] : undefined;
    const arnMember =
      [`${name}Arn`, ...Object.keys(createOut?.members ?? {}).filter((k) => k.endsWith('Arn'))].find(
        (k) => describeOut?.members?.[k] || createOut?.members?.[k],
      );
    const statusName = [`${name}Status`, 'Status', key.replace(/Name$/, 'Status')].find((k) => describeOut?.members?.[k] && model.shapes[describeOut.members[k].shape]?.enum);
    const listOp = [`List${name}s`, `List${name.replace(/y$/, 'ies')}`, `List${name}es`].find((n) => ops[n]);
    const listOut = listOp && ops[listOp].output ? model.shapes[ops[listOp].output!.shape] : undefined;
    const listEntry = Object.entries(listOut?.members ?? {}).find(([, mm]) => model.shapes[mm.shape]?.type === 'list');
    const errorsOf = (op: string) => (ops[op]?.errors ?? []).map((e) => e.shape);
    families.push({
      name,
      key,
      resourceType: resourceTypeOf(model, name, arnMember, [describeOut, createOut]),
      arnMember,
      status: statusName ? { member: statusName, values: model.shapes[describeOut!.members![statusName].shape].enum! } : undefined,
      ops: {
        create: opName,
        describe: `Describe${name}`,
        list: listOp,
        update: ops[`Update${name}`] ? `Update${name}` : undefined,
        delete: ops[`Delete${name}`] ? `Delete${name}` : undefined,
        start: ops[`Start${name}`] ? `Start${name}` : undefined,
        stop: ops[`Stop${name}`] ? `Stop${name}` : undefined,
      },
      listMember: listEntry ? { member: listEntry[0], shape: model.shapes[listEntry[1].shape].member!.shape } : undefined,
      notFound: errorsOf(`Describe${name}`).includes('ResourceNotFound') ? 'ResourceNotFound' : 'ValidationException',
      inUse: errorsOf(opName).includes('ResourceInUse') ? 'ResourceInUse' : 'ValidationException',
      describeWrapper: describeOut?.members?.[key]
        ? undefined
        : Object.entries(describeOut?.members ?? {}).find(([n, mm]) => describeOut?.required?.includes(n) && model.shapes[mm.shape]?.members?.[key])?.[0],
      readable: name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase(),
    });
  }
  return { families, skipped };
}

/**
 * The ARN's resource type, read from the ARN member's pattern where the model spells it out
 * (`...:[0-9]{12}:notebook-instance/...`), else the family name in kebab case, which is what
 * SageMaker uses (model-package-group, code-repository, ...).
 */
function resourceTypeOf(model: ServiceModel, name: string, arnMember: string | undefined, shapes: (Shape | undefined)[]): string {
  for (const s of shapes) {
    const member = arnMember && s?.members?.[arnMember];
    const pattern = member ? model.shapes[member.shape]?.pattern : undefined;
    const m = pattern && /\{12\}:([a-z][a-z0-9-]*)\//.exec(pattern);
    if (m) return m[1];
  }
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}
