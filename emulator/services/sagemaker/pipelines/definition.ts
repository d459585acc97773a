import { validation } from '../../../protocol/errors.js';

/**
 * A pipeline definition as the SageMaker Python SDK writes it (schema version 2020-12-01):
 * Parameters, Steps, with ConditionStep branches nested in the condition's Arguments.
 * See https://aws-sagemaker-mlops.github.io/sagemaker-model-building-pipeline-definition-JSON-schema/
 */
export interface StepDef {
  Name: string;
  Type: string;
  Arguments?: any;
  DependsOn?: string[];
  CacheConfig?: { Enabled?: boolean; ExpireAfter?: string };
  RetryPolicies?: RetryPolicy[];
  DisplayName?: string;
  Description?: string;
  PropertyFiles?: unknown[];
}

export interface RetryPolicy {
  ExceptionType?: string[];
  IntervalSeconds?: number;
  BackoffRate?: number;
  MaxAttempts?: number;
  ExpireAfterMin?: number;
}

export interface ParameterDef {
  Name: string;
  Type: 'String' | 'Integer' | 'Float' | 'Boolean';
  DefaultValue?: unknown;
  EnumValues?: unknown[];
}

/** A step with where it sits: top-level, or inside a condition's IfSteps / ElseSteps. */
export interface PlannedStep {
  def: StepDef;
  /** The condition step and branch this step belongs to, if any. */
  branch?: { condition: string; outcome: 'True' | 'False' };
  /** Steps that must succeed first: DependsOn plus every `Steps.<name>` a property reference names. */
  after: string[];
}

export interface Plan {
  parameters: ParameterDef[];
  steps: Map<string, PlannedStep>;
}

const STEP_TYPES = new Set([
  'Training', 'Tuning', 'Transform', 'Model', 'CreateModel', 'RegisterModel', 'Condition', 'Fail', 'Processing',
  'Lambda', 'Callback', 'EMR', 'QualityCheck', 'ClarifyCheck', 'AutoML', 'Notebook', 'Emr',
]);

const bad = (message: string) => validation(`Unable to parse pipeline definition. ${message}`);

/** Parses and checks a definition; a definition that cannot run is refused at Create/Update, as AWS does. */
export function planDefinition(text: string): Plan {
  let doc: any;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw bad(`Invalid JSON: ${(e as Error).message}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw bad('The definition must be a JSON object.');
  if (!Array.isArray(doc.Steps)) throw bad('Missing required property: Steps.');
  const parameters: ParameterDef[] = Array.isArray(doc.Parameters) ? doc.Parameters : [];
  const names = new Set<string>();
  for (const p of parameters) {
    if (!p || typeof p.Name !== 'string' || !['String', 'Integer', 'Float', 'Boolean'].includes(p.Type)) {
      throw bad(`Invalid parameter ${JSON.stringify(p)}: each needs a Name and a Type of String, Integer, Float or Boolean.`);
    }
    if (names.has(p.Name)) throw bad(`Duplicate parameter name: ${p.Name}.`);
    names.add(p.Name);
  }
  const steps = new Map<string, PlannedStep>();
  const visit = (list: unknown, branch?: PlannedStep['branch']) => {
    if (!Array.isArray(list)) throw bad('Steps must be a list.');
    for (const s of list as StepDef[]) {
      if (!s || typeof s.Name !== 'string' || !s.Name) throw bad('Every step needs a Name.');
      if (typeof s.Type !== 'string' || !STEP_TYPES.has(s.Type)) throw bad(`Step ${s.Name} has an unknown Type ${JSON.stringify(s.Type)}.`);
      if (steps.has(s.Name)) throw bad(`Duplicate step name: ${s.Name}.`);
      steps.set(s.Name, { def: s, branch, after: [] });
      if (s.Type === 'Condition') {
        if (!Array.isArray(s.Arguments?.Conditions)) throw bad(`Condition step ${s.Name} needs Arguments.Conditions.`);
        visit(s.Arguments.IfSteps ?? [], { condition: s.Name, outcome: 'True' });
        visit(s.Arguments.ElseSteps ?? [], { condition: s.Name, outcome: 'False' });
      }
    }
  };
  visit(doc.Steps);
  for (const [name, step] of steps) {
    const after = new Set<string>(step.def.DependsOn ?? []);
    const args = step.def.Type === 'Condition' ? step.def.Arguments.Conditions : step.def.Arguments;
    for (const ref of stepReferences(args)) after.add(ref);
    if (step.branch) after.add(step.branch.condition);
    for (const dep of after) {
      if (dep === name) throw bad(`Step ${name} depends on itself.`);
      if (!steps.has(dep)) throw bad(`Step ${name} depends on step ${dep}, which is not in the definition.`);
    }
    step.after = [...after];
  }
  checkAcyclic(steps);
  for (const [name, step] of steps) {
    // A condition's branches are steps of their own, checked in their turn.
    const args = step.def.Type === 'Condition' ? step.def.Arguments.Conditions : step.def.Arguments;
    for (const ref of propertyFileReferences(args)) {
      const [owner, file] = ref;
      const declared = steps.get(owner)?.def.PropertyFiles;
      const ok = Array.isArray(declared) && declared.some((p: any) => p?.PropertyFileName === file);
      if (!ok) throw bad(`Step ${name} reads property file ${file} of step ${owner}, which does not declare it in PropertyFiles.`);
    }
  }
  for (const ref of parameterReferences(doc.Steps)) {
    if (!names.has(ref)) throw bad(`Parameter ${ref} is referenced but not defined.`);
  }
  return { parameters, steps };
}

/** The step names a value's `{"Get": "Steps.<name>..."}` references (and PropertyFile references) point at. */
export function stepReferences(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) stepReferences(v, out);
  else if (value && typeof value === 'object') {
    const get = (value as any).Get;
    if (typeof get === 'string' && get.startsWith('Steps.')) out.add(get.slice(6).split(/[.[]/)[0]);
    for (const v of Object.values(value)) stepReferences(v, out);
  }
  return out;
}

/** [step, file] for every `{"Get": "Steps.<step>.PropertyFiles.<file>"}` (a JsonGet's PropertyFile). */
function propertyFileReferences(value: unknown, out: [string, string][] = []): [string, string][] {
  if (Array.isArray(value)) for (const v of value) propertyFileReferences(v, out);
  else if (value && typeof value === 'object') {
    const get = (value as any).Get;
    const m = typeof get === 'string' ? /^Steps\.([^.]+)\.PropertyFiles\.(.+)$/.exec(get) : null;
    if (m) out.push([m[1]!, m[2]!]);
    for (const v of Object.values(value)) propertyFileReferences(v, out);
  }
  return out;
}

function parameterReferences(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) parameterReferences(v, out);
  else if (value && typeof value === 'object') {
    const get = (value as any).Get;
    if (typeof get === 'string' && get.startsWith('Parameters.')) out.add(get.slice(11));
    for (const v of Object.values(value)) parameterReferences(v, out);
  }
  return out;
}

function checkAcyclic(steps: Map<string, PlannedStep>): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const walk = (name: string, path: string[]) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') throw bad(`Cyclic dependency among steps: ${[...path, name].join(' -> ')}.`);
    state.set(name, 'visiting');
    for (const dep of steps.get(name)!.after) walk(dep, [...path, name]);
    state.set(name, 'done');
  };
  for (const name of steps.keys()) walk(name, []);
}

/** Turns the request's string values into typed parameter values, defaults filled in. */
export function bindParameters(defs: ParameterDef[], given: { Name?: string; Value?: string }[] | undefined): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  const byName = new Map(defs.map((d) => [d.Name, d]));
  for (const g of given ?? []) {
    const def = byName.get(g.Name!);
    if (!def) throw validation(`Parameter ${g.Name} is not defined in the pipeline definition.`);
    values[g.Name!] = typed(def, g.Value ?? '');
  }
  for (const d of defs) {
    if (d.Name in values) continue;
    if (d.DefaultValue === undefined) throw validation(`Parameter ${d.Name} has no default value and was not provided.`);
    values[d.Name] = d.DefaultValue;
  }
  return values;
}

function typed(def: ParameterDef, raw: string): unknown {
  let v: unknown = raw;
  if (def.Type === 'Integer') {
    if (!/^-?\d+$/.test(raw)) throw validation(`Value ${raw} for parameter ${def.Name} is not an Integer.`);
    v = Number(raw);
  } else if (def.Type === 'Float') {
    if (raw.trim() === '' || !Number.isFinite(Number(raw))) throw validation(`Value ${raw} for parameter ${def.Name} is not a Float.`);
    v = Number(raw);
  } else if (def.Type === 'Boolean') {
    if (!/^(true|false)$/i.test(raw)) throw validation(`Value ${raw} for parameter ${def.Name} is not a Boolean.`);
    v = raw.toLowerCase() === 'true';
  }
  if (def.EnumValues?.length && !def.EnumValues.includes(v)) throw validation(`Value ${raw} for parameter ${def.Name} is not one of ${JSON.stringify(def.EnumValues)}.`);
  return v;
}
