import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from './body.js';
import { AwsError } from './errors.js';
import { newRequestId, type RequestContext } from './context.js';
import { identityFromHeaders, type IdentityDefaults } from './identity.js';
import { sendJsonError, type AwsJsonHandler } from './aws-json.js';
import { sendQueryError, sendQueryResult } from './query.js';
import type { RestJsonService } from './rest-json.js';
import type { CallerIdentity } from './identity.js';

export interface QueryService {
  xmlns: string;
  handle: (action: string, params: URLSearchParams, identity: CallerIdentity) => Record<string, unknown>;
}

type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface RouterTargets {
  defaults: IdentityDefaults;
  sagemaker: AwsJsonHandler;
  logs: AwsJsonHandler;
  /** SageMaker Runtime (rest-json): it claims its own paths from the service model. */
  runtime: RestJsonService;
  s3: NodeHandler;
  /** Query-protocol services by API version (STS 2011-06-15, IAM 2010-05-08). */
  query: Record<string, QueryService>;
}

const JSON_BODY_LIMIT = 16 * 1024 * 1024;
const tooLarge = () => new AwsError('SerializationException', 'The request body is too large.', 413);

/**
 * Routes every request on the one port to the service it is for, most specific sign first:
 * X-Amz-Target, the runtime's invocation paths, query-protocol forms, then S3 (path-style or
 * virtual-host style) for everything else. Plain node:http: every service parses its own
 * requests, so a web framework would only add start-up and per-request cost.
 */
export function createRouter(t: RouterTargets): NodeHandler {
  function route(req: IncomingMessage, res: ServerResponse) {
    // The runtime's invocation path is the hot one: it is tested first and costs one regex.
    if (t.runtime.serve(req, res)) return;
    const target = req.headers['x-amz-target'];
    if (typeof target === 'string') return routeTarget(target, req, res);
    const ct = req.headers['content-type'] ?? '';
    if (req.method === 'POST' && pathOf(req.url) === '/' && ct.startsWith('application/x-www-form-urlencoded')) return routeQuery(req, res);
    if (req.headers['smithy-protocol'] === 'rpc-v2-cbor') {
      req.resume();
      return sendJsonError(res, 'application/json', newRequestId(), new AwsError('NotImplemented', 'localsage does not speak rpc-v2-cbor yet.', 501));
    }
    return t.s3(req, res);
  }

  async function routeTarget(target: string, req: IncomingMessage, res: ServerResponse) {
    const requestId = newRequestId();
    const dot = target.indexOf('.');
    const prefix = target.slice(0, dot);
    const operation = target.slice(dot + 1);
    const ctx: RequestContext = { identity: identityFromHeaders(req.headers, undefined, t.defaults), requestId };
    try {
      const body = await readBody(req, JSON_BODY_LIMIT, tooLarge);
      if (prefix === 'SageMaker') return await t.sagemaker(operation, body, ctx, res);
      if (prefix === 'Logs_20140328') return await t.logs(operation, body, ctx, res);
      throw new AwsError('UnknownOperationException', `localsage does not serve the ${prefix} API yet.`);
    } catch (e) {
      sendJsonError(res, 'application/x-amz-json-1.1', requestId, e);
    }
  }

  async function routeQuery(req: IncomingMessage, res: ServerResponse) {
    const requestId = newRequestId();
    let xmlns = 'https://sts.amazonaws.com/doc/2011-06-15/';
    try {
      const params = new URLSearchParams((await readBody(req, JSON_BODY_LIMIT, tooLarge)).toString('utf8'));
      const action = params.get('Action') ?? '';
      const version = params.get('Version') ?? '';
      const service = t.query[version];
      if (!service) throw new AwsError('InvalidAction', `localsage does not serve the query API version ${version} yet.`);
      xmlns = service.xmlns;
      const identity = identityFromHeaders(req.headers, params, t.defaults);
      sendQueryResult(res, xmlns, action, service.handle(action, params, identity), requestId);
    } catch (e) {
      sendQueryError(res, xmlns, e instanceof AwsError ? e : new AwsError('InternalFailure', String(e), 500), requestId);
    }
  }

  return route;
}

function pathOf(url: string | undefined): string {
  const q = url?.indexOf('?') ?? -1;
  return url === undefined ? '/' : q < 0 ? url : url.slice(0, q);
}
