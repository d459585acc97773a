import * as sdk from '@aws-sdk/client-sagemaker';
import { Readable } from 'node:stream';
import { sagemakerModel } from '../../emulator/protocol/service-model.js';
import { shapeViolations } from '../../emulator/services/sagemaker/engine/shapes.js';
import type { Step } from './contract-plan.js';

export interface Outcome {
  op: string;
  family?: string;
  status: number;
  /** The wire error code, for an error. */
  error?: string;
  message?: string;
  /** Whether the JS SDK parsed the answer (an error parsed into its modeled exception counts). */
  sdkParsed: boolean;
  sdkError?: string;
  /** Where a success's body breaks the output shape. */
  violations: string[];
}

/**
 * Runs the plan through the JS SDK's own Command classes, capturing each raw response body on
 * its way to the SDK's deserializer so that the same answer is checked against the output shape.
 */
export async function walkWithJsSdk(client: sdk.SageMakerClient, steps: Step[]): Promise<Outcome[]> {
  const model = sagemakerModel();
  const captured: { raw?: { status: number; body: string } } = {};
  client.middlewareStack.add(
    (next) => async (args) => {
      const result: any = await next(args);
      const chunks: Buffer[] = [];
      for await (const c of result.response.body as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
      const body = Buffer.concat(chunks);
      captured.raw = { status: result.response.statusCode, body: body.toString('utf8') };
      result.response.body = Readable.from([body]);
      return result;
    },
    { step: 'deserialize', priority: 'low', name: 'contractCapture' },
  );
  const Commands = sdk as unknown as Record<string, new (input: unknown) => any>;
  const outcomes: Outcome[] = [];
  // Answers by operation, for the `$ref:<Operation>.<Member>` values of later steps.
  const answers: Record<string, Record<string, unknown>> = {};
  const resolve = (input: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(input).map(([k, v]) => [k, typeof v === 'string' && v.startsWith('$ref:') ? answers[v.slice(5).split('.')[0]]?.[v.split('.')[1]] : v]));
  for (const step of steps) {
    if (step.waitFor) await waitForStatus(client, Commands, { ...step.waitFor, input: step.waitFor.input && resolve(step.waitFor.input) });
    const Command = Commands[`${step.op}Command`];
    if (!Command) {
      outcomes.push({ op: step.op, family: step.family, status: 0, sdkParsed: false, sdkError: 'no Command in this SDK version', violations: [] });
      continue;
    }
    captured.raw = undefined;
    let sdkParsed = true;
    let sdkError: string | undefined;
    try {
      await client.send(new Command(resolve(step.input)));
    } catch (e: any) {
      // A modeled or generic service exception is a parse; anything else (a deserialization failure) is not.
      sdkParsed = typeof e?.$metadata?.httpStatusCode === 'number' && !!e.$fault;
      if (!sdkParsed) sdkError = String(e?.message ?? e);
    }
    const raw = captured.raw as { status: number; body: string } | undefined;
    const status = raw?.status ?? 0;
    const body = raw?.body ? JSON.parse(raw.body) : {};
    if (status >= 200 && status < 300) answers[step.op] = body;
    const outShape = model.operations[step.op]?.output?.shape;
    outcomes.push({
      op: step.op,
      family: step.family,
      status,
      error: status >= 300 ? body.__type : undefined,
      message: status >= 300 ? body.message : undefined,
      sdkParsed,
      sdkError,
      violations: status < 300 && outShape ? shapeViolations(model, outShape, body) : [],
    });
  }
  return outcomes;
}

async function waitForStatus(client: sdk.SageMakerClient, Commands: Record<string, new (input: unknown) => any>, w: NonNullable<Step['waitFor']>) {
  // Bounded by attempts, not by time: the fast profile settles in a fraction of a second.
  for (let i = 0; i < 200; i++) {
    try {
      const d = (await client.send(new Commands[`${w.describe}Command`](w.input ?? { [w.key]: w.name }))) as unknown as Record<string, unknown>;
      if (w.values.includes(String(d[w.member]))) return;
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
