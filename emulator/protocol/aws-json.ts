import type { IncomingMessage, ServerResponse } from 'node:http';
import { AwsError } from './errors.js';
import { own } from './own.js';
import type { RequestContext } from './context.js';
import { toWireJson } from './json-wire.js';
import type { ServiceModel } from './service-model.js';
import { validateInput } from './validate.js';

export type OperationHandler = (input: any, ctx: RequestContext) => unknown | Promise<unknown>;

/**
 * The awsJson1_0/1_1 protocol: `X-Amz-Target: <Prefix>.<Operation>`, a JSON body in, JSON out.
 * Every operation's input is checked against the service model before its handler runs.
 */
export function createAwsJsonService(opts: {
  model: ServiceModel;
  contentType: string;
  operations: Record<string, OperationHandler>;
  /** The code a constraint violation carries (CloudWatch answers ValidationError). */
  validationCode?: string;
  /**
   * awsQuery-compatible services (CloudWatch) also name the query protocol's error code in
   * `x-amzn-query-error: <Code>;Sender`, which botocore and the JS SDK read before `__type`.
   */
  queryCompatible?: boolean;
}) {
  const { model, contentType, operations } = opts;

  return async function handle(operation: string, body: Buffer, ctx: RequestContext, res: ServerResponse): Promise<void> {
    try {
      const op = own(model.operations, operation);
      if (!op) throw new AwsError('UnknownOperationException', `The operation ${operation} is not recognized.`);
      const handler = own(operations, operation);
      if (!handler) throw new AwsError('NotImplemented', `localsage does not implement ${operation} yet.`, 501);
      let parsed: unknown = {};
      if (body.length) {
        try {
          parsed = JSON.parse(body.toString('utf8'));
        } catch {
          throw new AwsError('SerializationException', 'Unable to parse the request body as JSON.');
        }
      }
      // Only a JSON object (or `null`, which carries no members) can be an operation's input.
      if (parsed !== null && (typeof parsed !== 'object' || Array.isArray(parsed))) throw new AwsError('SerializationException', 'Start of structure or map found where not expected.');
      const input = op.input ? validateInput(model, op.input.shape, parsed, opts.validationCode) : {};
      const output = await handler(input, ctx);
      send(res, 200, contentType, ctx.requestId, toWireJson(output ?? {}));
    } catch (err) {
      sendJsonError(res, contentType, ctx.requestId, err, opts.queryCompatible);
    }
  };
}

export function sendJsonError(res: ServerResponse, contentType: string, requestId: string, err: unknown, queryCompatible = false): void {
  const e = asAwsError(err);
  const body = toWireJson({ __type: e.code, message: e.message, ...e.extra });
  if (!res.headersSent) {
    res.setHeader('x-amzn-errortype', e.code);
    if (queryCompatible) res.setHeader('x-amzn-query-error', `${e.code};${e.status >= 500 ? 'Receiver' : 'Sender'}`);
    for (const [k, v] of Object.entries(e.headers)) res.setHeader(k, v);
  }
  send(res, e.status, contentType, requestId, body);
}

export function asAwsError(err: unknown): AwsError {
  if (err instanceof AwsError) return err;
  console.error('localsage: internal error', err);
  return new AwsError('InternalFailure', 'The request processing has failed because of an unknown error, exception or failure.', 500);
}

function send(res: ServerResponse, status: number, contentType: string, requestId: string, body: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
    'x-amzn-RequestId': requestId,
  });
  res.end(body);
}

export type AwsJsonHandler = ReturnType<typeof createAwsJsonService>;
export type { IncomingMessage };
