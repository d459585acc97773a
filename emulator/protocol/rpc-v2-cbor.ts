import type { ServerResponse } from 'node:http';
import { cbor, dateToTag } from '@smithy/core/cbor';
import { asAwsError, type OperationHandler } from './aws-json.js';
import type { RequestContext } from './context.js';
import { AwsError } from './errors.js';
import { own, setOwn } from './own.js';
import type { ServiceModel } from './service-model.js';
import { validateInput } from './validate.js';

/** `POST /service/<Service>/operation/<Operation>` with `Smithy-Protocol: rpc-v2-cbor`. */
export const RPC_V2_CBOR_PATH = /^\/service\/([^/?]+)\/operation\/([^/?]+)$/;

/**
 * Smithy RPC v2 CBOR, which the AWS SDKs for Java and Go use for CloudWatch: a CBOR map in and
 * out, timestamps as tag 1 (epoch seconds), `Smithy-Protocol: rpc-v2-cbor` echoed on every
 * response. Decoding and encoding come from @smithy/core's CBOR codec; the operations, the
 * model validation and the errors are the same as over JSON.
 */
export function createRpcV2CborService(opts: { model: ServiceModel; operations: Record<string, OperationHandler>; validationCode?: string; queryCompatible?: boolean }) {
  const { model, operations } = opts;
  return async function handle(operation: string, body: Buffer, ctx: RequestContext, res: ServerResponse): Promise<void> {
    try {
      const op = own(model.operations, operation);
      if (!op) throw new AwsError('UnknownOperationException', `The operation ${operation} is not recognized.`);
      const handler = own(operations, operation);
      if (!handler) throw new AwsError('NotImplemented', `localsage does not implement ${operation} yet.`, 501);
      let parsed: unknown = {};
      if (body.length) {
        try {
          parsed = fromWire(cbor.deserialize(new Uint8Array(body.buffer, body.byteOffset, body.length)));
        } catch {
          throw new AwsError('SerializationException', 'Unable to parse the request body as CBOR.');
        }
      }
      if (parsed !== null && parsed !== undefined && (typeof parsed !== 'object' || Array.isArray(parsed) || parsed instanceof Uint8Array)) {
        throw new AwsError('SerializationException', 'Start of structure or map found where not expected.');
      }
      const input = op.input ? validateInput(model, op.input.shape, parsed, opts.validationCode) : {};
      send(res, 200, ctx.requestId, toWire((await handler(input, ctx)) ?? {}));
    } catch (err) {
      sendCborError(res, ctx.requestId, err, opts.queryCompatible);
    }
  };
}

export function sendCborError(res: ServerResponse, requestId: string, err: unknown, queryCompatible = false): void {
  const e = asAwsError(err);
  if (!res.headersSent) {
    res.setHeader('x-amzn-errortype', e.code);
    if (queryCompatible) res.setHeader('x-amzn-query-error', `${e.code};${e.status >= 500 ? 'Receiver' : 'Sender'}`);
  }
  send(res, e.status, requestId, { __type: e.code, message: e.message, ...e.extra });
}

function send(res: ServerResponse, status: number, requestId: string, value: unknown): void {
  if (res.headersSent) return void res.end();
  const bytes = Buffer.from(cbor.serialize(value));
  res.writeHead(status, { 'Content-Type': 'application/cbor', 'Content-Length': bytes.length, 'Smithy-Protocol': 'rpc-v2-cbor', 'x-amzn-RequestId': requestId });
  res.end(bytes);
}

/** Tag 1 (epoch seconds) becomes the number the validator reads as a timestamp. */
function fromWire(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(fromWire);
  if (v && typeof v === 'object' && !(v instanceof Uint8Array)) {
    const o = v as Record<string, unknown>;
    if (o.tag === 1 && typeof o.value === 'number') return o.value;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) setOwn(out, k, fromWire(x));
    return out;
  }
  return v;
}

/** Dates become tag 1; absent members are left out. */
function toWire(v: unknown): unknown {
  if (v instanceof Date) return dateToTag(v);
  if (Array.isArray(v)) return v.map(toWire);
  if (v && typeof v === 'object' && !(v instanceof Uint8Array)) {
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined && x !== null).map(([k, x]) => [k, toWire(x)]));
  }
  return v;
}
