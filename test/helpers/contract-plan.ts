import { sagemakerModel } from '../../emulator/protocol/service-model.js';
import { engineFamilies } from '../../emulator/services/sagemaker/engine/index.js';
import { minimalValue } from '../../emulator/services/sagemaker/engine/shapes.js';
import { keyedContractSteps } from './contract-keyed.js';

/**
 * The contract walk: every operation of SageMaker's service model, each with a minimal valid
 * input derived from its input shape. Operations of a family the engine serves run in order
 * (Create, Describe, List, Update, Stop, Start, Delete) on one resource, so that each finds what
 * it needs; every other operation is called once on its own.
 */
export interface Step {
  op: string;
  input: Record<string, unknown>;
  /** The family the step belongs to, for the engine's families. */
  family?: string;
  /** Wait until Describe's status member shows one of these (or Describe fails) before the step; `input`, where given, is Describe's whole input. */
  waitFor?: { describe: string; key: string; name: string; member: string; values: string[]; input?: Record<string, unknown> };
}

export function contractPlan(prefix: string): Step[] {
  const model = sagemakerModel();
  const input = (op: string) => {
    const shape = model.operations[op].input?.shape;
    return shape ? (minimalValue(model, shape) as Record<string, unknown>) : {};
  };
  const steps: Step[] = [];
  const inFamily = new Set<string>();
  for (const f of engineFamilies()) {
    const name = `${prefix}${f.name.toLowerCase()}`.slice(0, 60);
    const keyed = (op: string) => ({ ...input(op), [f.key]: name });
    const settled = f.status ? { describe: f.ops.describe, key: f.key, name, member: f.status.member } : undefined;
    const order: (keyof typeof f.ops)[] = ['create', 'describe', 'list', 'stop', 'start', 'stop', 'update', 'delete'];
    for (const verb of order) {
      const op = f.ops[verb];
      if (!op) continue;
      inFamily.add(op);
      const step: Step = { op, family: f.name, input: verb === 'list' ? input(op) : keyed(op) };
      // Stop needs it running, Start and Delete (of a stoppable resource) need it stopped.
      if (settled && verb === 'stop') step.waitFor = { ...settled, values: ['InService', 'Scheduled', 'Running', 'Active', 'Created', 'Started', 'Updated'] };
      const afterStop = verb === 'start' || ((verb === 'update' || verb === 'delete') && f.ops.stop && f.ops.start);
      if (settled && afterStop) step.waitFor = { ...settled, values: ['Stopped', 'Failed'] };
      steps.push(step);
    }
  }
  // The model registry: a version in a group, addressed by its ARN (account 000000000000 for the test credentials).
  const group = `${prefix}registry`;
  const version = `arn:aws:sagemaker:us-east-1:000000000000:model-package/${group}/1`;
  steps.push(
    { op: 'CreateModelPackageGroup', family: 'ModelPackage', input: { ModelPackageGroupName: group } },
    { op: 'CreateModelPackage', family: 'ModelPackage', input: { ...input('CreateModelPackage'), ModelPackageGroupName: group } },
    { op: 'DescribeModelPackage', family: 'ModelPackage', input: { ModelPackageName: version } },
    { op: 'ListModelPackages', family: 'ModelPackage', input: { ModelPackageGroupName: group } },
    { op: 'UpdateModelPackage', family: 'ModelPackage', input: { ModelPackageArn: version, ModelApprovalStatus: 'Approved' } },
    { op: 'DeleteModelPackage', family: 'ModelPackage', input: { ModelPackageName: version } },
    { op: 'DeleteModelPackageGroup', family: 'ModelPackage', input: { ModelPackageGroupName: group } },
  );
  steps.push(...keyedContractSteps(prefix, input));
  for (const s of steps) inFamily.add(s.op);
  for (const op of Object.keys(model.operations)) if (!inFamily.has(op)) steps.push({ op, input: input(op) });
  return steps;
}
