import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InvokeEndpointService } from '../services/runtime/invoke-endpoint.js';
import { MAX_PAYLOAD_BYTES } from '../services/runtime/invoke-endpoint.js';
import { readBody } from './body.js';
import { AwsError } from './errors.js';
import { newRequestId } from './context.js';
import { identityFromHeaders, type IdentityDefaults } from './identity.js';
import { asAwsError } from './aws-json.js';

const INVOKE_PATH = /^\/endpoints\/([^/?]+)\/(invocations|async-invocations|invocations-response-stream)(?:\?.*)?$/;

export function isRuntimeRequest(method: string | undefined, url: string | undefined): boolean {
  return method === 'POST' && url !== undefined && url.startsWith('/endpoints/') && INVOKE_PATH.test(url);
}

const tooLarge = () =>
  new AwsError(
    'ValidationError',
    `1 validation error detected: Value at 'body' failed to satisfy constraint: Member must have length less than or equal to ${MAX_PAYLOAD_BYTES}`,
  );

/**
 * SageMaker Runtime over rest-json: the raw body is the payload, parameters travel as headers,
 * and errors name their code in `x-amzn-errortype` (read first by every SDK).
 */
export function createRuntimeHandler(service: InvokeEndpointService, defaults: IdentityDefaults) {
  return async function handleRuntime(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = newRequestId();
    try {
      const m = INVOKE_PATH.exec(req.url!)!;
      const endpointName = decodeURIComponent(m[1]);
      if (m[2] !== 'invocations') {
        req.resume();
        throw new AwsError('NotImplemented', `localsage does not implement ${m[2] === 'async-invocations' ? 'InvokeEndpointAsync' : 'InvokeEndpointWithResponseStream'} yet.`, 501);
      }
      const body = await readBody(req, MAX_PAYLOAD_BYTES, tooLarge);
      const h = req.headers;
      const out = await service.invoke(identityFromHeaders(h, undefined, defaults), {
        endpointName,
        body,
        contentType: h['content-type'],
        accept: h.accept,
        targetVariant: h['x-amzn-sagemaker-target-variant'] as string | undefined,
        customAttributes: h['x-amzn-sagemaker-custom-attributes'] as string | undefined,
        inferenceId: h['x-amzn-sagemaker-inference-id'] as string | undefined,
      });
      const headers: Record<string, string | number> = {
        'Content-Type': out.contentType,
        'Content-Length': out.body.length,
        'x-Amzn-Invoked-Production-Variant': out.invokedVariant,
        'x-amzn-RequestId': requestId,
      };
      if (out.customAttributes !== undefined) headers['X-Amzn-SageMaker-Custom-Attributes'] = out.customAttributes;
      res.writeHead(200, headers);
      res.end(out.body);
    } catch (err) {
      const e = asAwsError(err);
      const body = JSON.stringify({ ...e.extra, message: e.message, Message: e.message });
      if (res.headersSent) return void res.end();
      res.writeHead(e.status, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(body),
        'x-amzn-errortype': e.code,
        'x-amzn-RequestId': requestId,
      });
      res.end(body);
      if (!req.complete) req.resume();
    }
  };
}
