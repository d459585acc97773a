import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from './body.js';
import { AwsError } from './errors.js';
import { own } from './own.js';
import { newRequestId, type RequestContext } from './context.js';
import { identityFromHeaders, type IdentityDefaults } from './identity.js';
import { asAwsError, sendJsonError, type AwsJsonHandler } from './aws-json.js';
import { sendQueryError, sendQueryResult } from './query.js';
import { RPC_V2_CBOR_PATH, sendCborError } from './rpc-v2-cbor.js';
import type { RestJsonService } from './rest-json.js';
import type { CallerIdentity } from './identity.js';
import type { BrowserGuard } from './browser-guard.js';
import { payloadSha256, type Authenticator } from './sigv4.js';

export interface QueryService {
  xmlns: string;
  handle: (action: string, params: URLSearchParams, identity: CallerIdentity) => Record<string, unknown> | Promise<Record<string, unknown>>;
}

/** Query-protocol API versions of services we do not serve, named in plain words. */
const QUERY_VERSIONS: Record<string, string> = {
  '2012-11-05': 'Amazon SQS',
  '2010-03-31': 'Amazon SNS',
  '2016-11-15': 'Amazon EC2',
  '2011-01-01': 'Amazon EC2 Auto Scaling',
  '2014-10-31': 'Amazon RDS',
  '2010-05-15': 'AWS CloudFormation',
  '2015-12-01': 'Elastic Load Balancing',
};

type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface RouterTargets {
  defaults: IdentityDefaults;
  sagemaker: AwsJsonHandler;
  logs: AwsJsonHandler;
  /** Application Auto Scaling (awsJson1_1). */
  autoscaling: AwsJsonHandler;
  /** CloudWatch over awsJson1_0 (current SDKs); its query protocol is in `query['2010-08-01']`. */
  cloudwatch: AwsJsonHandler;
  /** CloudWatch over Smithy RPC v2 CBOR (the AWS SDKs for Java and Go). */
  cloudwatchCbor: AwsJsonHandler;
  /** SageMaker Runtime (rest-json): it claims its own paths from the service model. */
  runtime: RestJsonService;
  s3: NodeHandler;
  /** Query-protocol services by API version (STS 2011-06-15, IAM 2010-05-08). */
  query: Record<string, QueryService>;
  /** SigV4 verification (--auth sigv4); absent: permissive. */
  auth?: Authenticator;
  /** Browser safety: Host allow-list and cross-site refusal (browser-guard.ts). */
  guard?: BrowserGuard;
  /** The web dashboard, on paths no AWS request uses (absent with --no-dashboard). */
  dashboard?: { matches: (req: IncomingMessage) => boolean; handle: NodeHandler };
}

/** X-Amz-Target prefixes of AWS services, so a request for one we do not serve is named in plain words. */
const SERVICE_NAMES: Record<string, string> = {
  SageMaker: 'SageMaker',
  Logs_20140328: 'CloudWatch Logs',
  GraniteServiceVersion20100801: 'CloudWatch',
  AnyScaleFrontendService: 'Application Auto Scaling',
  AWSEvents: 'Amazon EventBridge',
  AWSStepFunctions: 'AWS Step Functions',
  DynamoDB_20120810: 'Amazon DynamoDB',
  Kinesis_20131202: 'Amazon Kinesis',
  Firehose_20150804: 'Amazon Data Firehose',
  TrentService: 'AWS KMS',
  AmazonSSM: 'AWS Systems Manager',
  secretsmanager: 'AWS Secrets Manager',
  AmazonEC2ContainerRegistry_V20150921: 'Amazon ECR',
  AmazonEC2ContainerServiceV20141113: 'Amazon ECS',
  AWSCognitoIdentityProviderService: 'Amazon Cognito user pools',
  AWSGlue: 'AWS Glue',
  AmazonAthena: 'Amazon Athena',
  AmazonSQS: 'Amazon SQS',
  CodeBuild_20161006: 'AWS CodeBuild',
  AWSWAF_20150824: 'AWS WAF',
};

export function serviceNameForTarget(prefix: string): string {
  return own(SERVICE_NAMES, prefix) ?? `the service with X-Amz-Target prefix "${prefix}"`;
}

const JSON_BODY_LIMIT = 16 * 1024 * 1024;
const tooLarge = () => new AwsError('SerializationException', 'The request body is too large.', 413);

/**
 * Routes every request on the one port to the service it is for, most specific sign first:
 * the runtime's invocation paths, X-Amz-Target, the dashboard's /_localsage/ paths (never a
 * bucket: bucket names cannot start with `_`), query-protocol forms, then S3 (path-style or
 * virtual-host style) for everything else. Plain node:http: every service parses its own
 * requests, so a web framework would only add start-up and per-request cost.
 */
export function createRouter(t: RouterTargets): NodeHandler {
  function route(req: IncomingMessage, res: ServerResponse) {
    if (t.guard) {
      if (!t.guard.hostAllowed(req)) {
        return refuse(req, res, `localsage does not answer requests for the host '${String(req.headers.host).slice(0, 256)}' (a web page may have rebound its name to this machine). Start localsage with --allowed-hosts (LOCALSAGE_ALLOWED_HOSTS) naming it to serve it.`);
      }
      // Only S3 serves cross-site browser requests, and only as a bucket's CORS rules allow.
      if (t.guard.isCrossSite(req) && !mayBeS3(req)) return refuse(req, res, 'localsage refuses cross-site browser requests: a web page may not call the AWS APIs of this machine.');
    }
    // The runtime's invocation path is the hot one: it is tested first and costs one regex.
    if (t.runtime.serve(req, res)) return;
    const target = req.headers['x-amz-target'];
    if (typeof target === 'string') return routeTarget(target, req, res);
    if (t.dashboard?.matches(req)) return t.dashboard.handle(req, res);
    const ct = req.headers['content-type'] ?? '';
    if (req.method === 'POST' && pathOf(req.url) === '/' && ct.startsWith('application/x-www-form-urlencoded')) return routeQuery(req, res);
    if (req.headers['smithy-protocol'] === 'rpc-v2-cbor') return routeCbor(req, res);
    return t.s3(req, res);
  }

  /** Whether the request would reach S3 (everything that no other service claims). */
  function mayBeS3(req: IncomingMessage): boolean {
    const url = req.url ?? '/';
    if (req.headers['x-amz-target'] !== undefined || req.headers['smithy-protocol'] !== undefined) return false;
    if (t.dashboard?.matches(req) || url.startsWith('/endpoints/') || url.startsWith('/inference-components/')) return false;
    return !(req.method === 'POST' && pathOf(url) === '/' && String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded'));
  }

  async function routeTarget(target: string, req: IncomingMessage, res: ServerResponse) {
    const requestId = newRequestId();
    const dot = target.indexOf('.');
    const prefix = target.slice(0, dot);
    const operation = target.slice(dot + 1);
    const ctx: RequestContext = { identity: identityFromHeaders(req.headers, undefined, t.defaults), requestId };
    try {
      const body = await readBody(req, JSON_BODY_LIMIT, tooLarge);
      t.auth?.verify(req, 'json', payloadSha256(body));
      if (prefix === 'SageMaker') return await t.sagemaker(operation, body, ctx, res);
      if (prefix === 'Logs_20140328') return await t.logs(operation, body, ctx, res);
      if (prefix === 'AnyScaleFrontendService') return await t.autoscaling(operation, body, ctx, res);
      if (prefix === 'GraniteServiceVersion20100801') return await t.cloudwatch(operation, body, ctx, res);
      throw new AwsError('UnknownOperationException', `localsage does not serve ${serviceNameForTarget(prefix)} (X-Amz-Target ${target}).`);
    } catch (e) {
      const ct = String(req.headers['content-type'] ?? '').startsWith('application/x-amz-json-1.0') ? 'application/x-amz-json-1.0' : 'application/x-amz-json-1.1';
      sendJsonError(res, ct, requestId, e, prefix === 'GraniteServiceVersion20100801');
    }
  }

  async function routeCbor(req: IncomingMessage, res: ServerResponse) {
    const requestId = newRequestId();
    const m = RPC_V2_CBOR_PATH.exec(req.url ?? '');
    try {
      const body = await readBody(req, JSON_BODY_LIMIT, tooLarge);
      t.auth?.verify(req, 'json', payloadSha256(body));
      if (req.method !== 'POST' || !m) throw new AwsError('UnknownOperationException', 'rpc-v2-cbor requests are POST /service/<Service>/operation/<Operation>.');
      const service = decodeLabel(m[1]);
      const ctx: RequestContext = { identity: identityFromHeaders(req.headers, undefined, t.defaults), requestId };
      if (service === 'GraniteServiceVersion20100801') return await t.cloudwatchCbor(decodeLabel(m[2]), body, ctx, res);
      throw new AwsError('UnknownOperationException', `localsage does not serve ${serviceNameForTarget(service)} over rpc-v2-cbor.`);
    } catch (e) {
      sendCborError(res, requestId, e);
    }
  }

  async function routeQuery(req: IncomingMessage, res: ServerResponse) {
    const requestId = newRequestId();
    let xmlns = 'https://sts.amazonaws.com/doc/2011-06-15/';
    try {
      const body = await readBody(req, JSON_BODY_LIMIT, tooLarge);
      t.auth?.verify(req, 'query', payloadSha256(body));
      const params = new URLSearchParams(body.toString('utf8'));
      const action = params.get('Action') ?? '';
      const version = params.get('Version') ?? '';
      const service = own(t.query, version);
      if (!service) throw new AwsError('InvalidAction', `localsage does not serve the query API version ${version} (${own(QUERY_VERSIONS, version) ?? 'an AWS query-protocol service'}).`);
      xmlns = service.xmlns;
      const identity = identityFromHeaders(req.headers, params, t.defaults);
      sendQueryResult(res, xmlns, action, await service.handle(action, params, identity), requestId);
    } catch (e) {
      sendQueryError(res, xmlns, asAwsError(e), requestId);
    }
  }

  return route;
}

/** A %-encoded path segment; a malformed escape is the client's error, not ours. */
function decodeLabel(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new AwsError('SerializationException', `The path segment '${text.slice(0, 256)}' is not valid %-encoding.`);
  }
}

/** A 403 for a request browser safety refuses, after draining its body. */
function refuse(req: IncomingMessage, res: ServerResponse, message: string): void {
  req.resume();
  const body = JSON.stringify({ __type: 'AccessDeniedException', message, Message: message });
  res.writeHead(403, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'x-amzn-errortype': 'AccessDeniedException', 'x-amzn-RequestId': newRequestId() });
  res.end(body);
}

function pathOf(url: string | undefined): string {
  const q = url?.indexOf('?') ?? -1;
  return url === undefined ? '/' : q < 0 ? url : url.slice(0, q);
}
