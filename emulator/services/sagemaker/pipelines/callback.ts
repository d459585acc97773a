/**
 * Callback steps. On AWS a Callback step sends a message with its token to an SQS queue and waits
 * until someone calls SendPipelineExecutionStepSuccess or SendPipelineExecutionStepFailure with
 * that token. localsage serves no SQS, so the message goes nowhere but the emulator's log; the
 * step waits Executing with Metadata.Callback {CallbackToken, SqsQueueUrl} in
 * ListPipelineExecutionSteps, where a test finds its token. Success completes the step with its
 * OutputParameters, which later steps read as Steps.<name>.OutputParameters['<output>'].
 *
 * Send* never writes the execution record (the executor may hold it mid-tick): it records the
 * outcome under the token, and the executor's next tick applies it.
 */
import { randomBytes } from 'node:crypto';
import type { RequestContext } from '../../../protocol/context.js';
import { AwsError, resourceNotFound, validation } from '../../../protocol/errors.js';
import type { Scope } from '../../../storage/database.js';
import type { ServiceDeps } from '../../deps.js';
import { scopeOf } from '../scope.js';
import type { StepDef } from './definition.js';
import { EXECUTION_KIND, type ExecutionRecord, type StepRun } from './records.js';

const CALLBACK_KIND = 'pipeline-callback';

interface CallbackRecord {
  executionId: string;
  stepName: string;
  /** Declared outputs: name → OutputType. */
  outputs: Record<string, string>;
  outcome?: { success: true; parameters: { Name: string; Value: string }[] } | { success: false; reason: string };
  clientRequestToken?: string;
}

type Doc = Record<string, any>;

/** Ten letters and digits: the model's CallbackToken allows at most 10 alphanumerics. */
function callbackToken(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(10)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** Starts a Callback step: its token, its metadata, the message it would have sent. */
export function startCallback(deps: ServiceDeps, scope: Scope, exec: ExecutionRecord, def: StepDef, run: StepRun, args: unknown): void {
  const token = callbackToken();
  const raw = def as StepDef & { SqsQueueUrl?: string; OutputParameters?: { OutputName: string; OutputType?: string }[] };
  const outputs = Object.fromEntries((raw.OutputParameters ?? []).map((o) => [o.OutputName, o.OutputType ?? 'String']));
  deps.db.insert<CallbackRecord>(scope, CALLBACK_KIND, token, `pipeline-callback:${scope.accountId}:${scope.region}:${token}`, { executionId: exec.executionId, stepName: def.Name, outputs });
  run.Metadata = { Callback: { CallbackToken: token, ...(raw.SqsQueueUrl ? { SqsQueueUrl: raw.SqsQueueUrl } : {}) } };
  run.StepStatus = 'Executing';
  const message = { token, pipelineExecutionArn: exec.PipelineExecutionArn, arguments: args, status: 'Executing' };
  deps.log(`pipeline callback step ${def.Name}: no SQS here; the message for ${raw.SqsQueueUrl ?? '(no queue)'} would be ${JSON.stringify(message)}`);
}

/**
 * A waiting Callback step's answer, if one came: the step ends (Succeeded with its outputs, or
 * Failed with the reason) and true is returned; false while it still waits.
 */
export function settleCallback(deps: ServiceDeps, scope: Scope, run: StepRun, fail: (reason: string) => void, end: () => void): boolean {
  const token = (run.Metadata?.Callback as { CallbackToken?: string } | undefined)?.CallbackToken;
  const record = token ? deps.db.get<CallbackRecord>(scope, CALLBACK_KIND, token)?.data : undefined;
  if (!record?.outcome) return false;
  if (!record.outcome.success) {
    fail(record.outcome.reason);
    return true;
  }
  const given = record.outcome.parameters;
  (run.Metadata!.Callback as Doc).OutputParameters = given;
  // As properties, each output by name, typed as declared, for Steps.<name>.OutputParameters['<output>'].
  run.properties = { OutputParameters: Object.fromEntries(given.map((p) => [p.Name, typed(p.Value, record.outputs[p.Name])])) };
  end();
  return true;
}

function typed(value: string, type: string | undefined): unknown {
  if (type === 'Integer' || type === 'Float') return Number(value);
  if (type === 'Boolean') return value.toLowerCase() === 'true';
  return value;
}

/** SendPipelineExecutionStepSuccess and SendPipelineExecutionStepFailure; `wake` runs the execution's next tick. */
export function sendCallback(deps: ServiceDeps, wake: (scope: Scope, executionId: string) => void, success: boolean, req: Doc, ctx: RequestContext): unknown {
  const scope = scopeOf(ctx);
  const token = String(req.CallbackToken);
  const record = deps.db.get<CallbackRecord>(scope, CALLBACK_KIND, token)?.data;
  const exec = record && deps.db.get<ExecutionRecord>(scope, EXECUTION_KIND, record.executionId)?.data;
  if (!record || !exec) throw resourceNotFound(`Callback token ${token} does not exist.`);
  const result = { PipelineExecutionArn: exec.PipelineExecutionArn };
  // A retried request (same ClientRequestToken) gets the first answer again.
  if (record.outcome && req.ClientRequestToken !== undefined && record.clientRequestToken === req.ClientRequestToken) return result;
  // After RetryPipelineExecution the step runs again under a new token: an old one answers nothing.
  const current = exec.steps[record.stepName];
  const run = (current?.Metadata?.Callback as { CallbackToken?: string } | undefined)?.CallbackToken === token ? current : undefined;
  if (record.outcome || run?.StepStatus !== 'Executing' || exec.PipelineExecutionStatus !== 'Executing') {
    const state = record.outcome ? 'already answered' : run ? run.StepStatus : current ? 'waiting under a newer token' : 'not started';
    throw new AwsError('ConflictException', `Step ${record.stepName} of pipeline execution ${exec.PipelineExecutionArn} is not waiting for a callback (it is ${state}).`);
  }
  if (success) {
    const parameters = ((req.OutputParameters as { Name: string; Value: string }[] | undefined) ?? []).map((p) => ({ Name: p.Name, Value: p.Value }));
    const unknown = parameters.filter((p) => !(p.Name in record.outputs)).map((p) => p.Name);
    if (unknown.length) throw validation(`Output parameters ${unknown.join(', ')} are not declared by step ${record.stepName} (declared: ${Object.keys(record.outputs).join(', ') || 'none'}).`);
    record.outcome = { success: true, parameters };
  } else {
    record.outcome = { success: false, reason: String(req.FailureReason ?? 'The callback reported a failure.') };
  }
  record.clientRequestToken = req.ClientRequestToken;
  deps.db.update(scope, CALLBACK_KIND, token, record);
  wake(scope, exec.executionId);
  return result;
}
