import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { identityFromHeaders, type IdentityDefaults } from '../identity.js';
import type { ObjectStore } from '../../storage/object-store.js';
import type { S3Context } from './context.js';
import { s3Error, toS3Error } from './errors.js';
import { MultipartStore } from './multipart-store.js';
import * as buckets from './operations/buckets.js';
import * as listing from './operations/listing.js';
import * as multipart from './operations/multipart.js';
import * as objects from './operations/objects.js';
import { sendError } from './respond.js';
import type { BrowserGuard } from '../browser-guard.js';
import type { Authenticator } from '../sigv4.js';
import { admitCrossSite, deleteBucketCors, getBucketCors, preflight, putBucketCors, type BucketCorsStore } from './cors.js';
import { couldBeBucketName } from './names.js';
import { resolveAddress } from './routing.js';

type Operation = (ctx: S3Context) => Promise<void>;

/**
 * Sub-resources this emulator does not serve. Answering NotImplemented (rather than treating
 * `PUT /bucket/key?tagging` as a PutObject) keeps clients from silently misbehaving.
 */
const UNSUPPORTED = [
  'acl', 'accelerate', 'analytics', 'attributes', 'encryption', 'intelligent-tiering', 'inventory',
  'legal-hold', 'lifecycle', 'logging', 'metadataTable', 'metrics', 'notification', 'object-lock',
  'ownershipControls', 'policy', 'policyStatus', 'publicAccessBlock', 'replication', 'requestPayment',
  'restore', 'retention', 'select', 'tagging', 'torrent', 'versions', 'website', 'session', 'renameObject',
];

function notImplemented(what: string): Operation {
  return async () => {
    throw s3Error('NotImplemented', {}, `${what} is not implemented by localsage.`);
  };
}

const methodNotAllowed: Operation = async (ctx) => {
  throw s3Error('MethodNotAllowed', { Method: ctx.req.method, ResourceType: ctx.key !== undefined ? 'OBJECT' : 'BUCKET' });
};

/** Picks the operation from method, address and sub-resource, as S3's REST API defines them. */
export function route(ctx: Pick<S3Context, 'bucket' | 'key' | 'query'>, method: string, hasCopySource: boolean): Operation {
  const q = ctx.query;
  const unsupported = UNSUPPORTED.find((name) => q.has(name));
  if (ctx.bucket === undefined) {
    if (method === 'GET' || method === 'HEAD') return buckets.listBuckets;
    return methodNotAllowed;
  }
  if (ctx.key === undefined) {
    if (unsupported) return notImplemented(`Bucket sub-resource "${unsupported}"`);
    switch (method) {
      case 'PUT':
        if (q.has('versioning')) return notImplemented('PutBucketVersioning');
        return buckets.createBucket;
      case 'HEAD':
        return buckets.headBucket;
      case 'DELETE':
        return buckets.deleteBucket;
      case 'GET':
        if (q.has('location')) return buckets.getBucketLocation;
        if (q.has('versioning')) return buckets.getBucketVersioning;
        if (q.has('uploads')) return multipart.listMultipartUploads;
        if (q.get('list-type') === '2') return listing.listObjectsV2;
        return listing.listObjectsV1;
      case 'POST':
        if (q.has('delete')) return objects.deleteObjects;
        return notImplemented('POST object (browser form upload)');
      default:
        return methodNotAllowed;
    }
  }
  if (unsupported) return notImplemented(`Object sub-resource "${unsupported}"`);
  switch (method) {
    case 'PUT':
      if (q.has('uploadId') || q.has('partNumber')) return hasCopySource ? multipart.uploadPartCopy : multipart.uploadPart;
      return hasCopySource ? objects.copyObject : objects.putObject;
    case 'GET':
      if (q.has('uploadId')) return multipart.listParts;
      return objects.getObject;
    case 'HEAD':
      return objects.headObject;
    case 'DELETE':
      if (q.has('uploadId')) return multipart.abortMultipartUpload;
      return objects.deleteObject;
    case 'POST':
      if (q.has('uploads')) return multipart.createMultipartUpload;
      if (q.has('uploadId')) return multipart.completeMultipartUpload;
      return notImplemented('This POST operation');
    default:
      return methodNotAllowed;
  }
}

/** After an error, the unread rest of the body is discarded so the connection stays usable. */
function discardBody(req: IncomingMessage): void {
  if (req.readableEnded || req.destroyed) return;
  req.unpipe();
  req.resume();
}

const newRequestId = () => randomBytes(8).toString('hex').toUpperCase();

/** The S3 REST-XML API over any ObjectStore. */
export function createS3Handler(opts: {
  store: ObjectStore;
  dataDir: string;
  defaults: IdentityDefaults;
  /** Bucket CORS configurations; without them ?cors is NotImplemented and OPTIONS refused. */
  cors?: BucketCorsStore;
  /** Tells cross-site browser requests, which need a bucket's CORS rule to get in. */
  guard?: BrowserGuard;
  /** SigV4 verification (--auth sigv4): S3 signs x-amz-content-sha256 and checks the body against it. */
  auth?: Authenticator;
}): (req: IncomingMessage, res: ServerResponse) => void {
  const uploads = new MultipartStore(path.join(opts.dataDir, 'multipart'));
  return (req, res) => {
    const ctx: S3Context = {
      req,
      res,
      store: opts.store,
      uploads,
      defaults: opts.defaults,
      identity: { accessKeyId: '', region: opts.defaults.region, accountId: opts.defaults.accountId },
      requestId: newRequestId(),
      query: new URLSearchParams(),
    };
    // A socket error on either side must never become an uncaught exception.
    res.on('error', () => undefined);
    req.on('error', () => undefined);
    const run = async () => {
      Object.assign(ctx, resolveAddress(req));
      // Refused before any operation (and so any filesystem access) runs: a name no bucket can
      // have (a NUL, a slash, `..`, over 255 characters) is InvalidBucketName, as S3 answers it.
      if (ctx.bucket !== undefined && !couldBeBucketName(ctx.bucket)) throw s3Error('InvalidBucketName', { BucketName: ctx.bucket.slice(0, 255) });
      ctx.identity = identityFromHeaders(req.headers, ctx.query, opts.defaults);
      const method = (req.method ?? 'GET').toUpperCase();
      const cors = opts.cors;
      // Preflights carry no credentials (browsers never sign them): CORS rules decide those.
      if (opts.auth && method !== 'OPTIONS') opts.auth.verify(req, 's3', String(req.headers['x-amz-content-sha256'] ?? 'UNSIGNED-PAYLOAD'));
      if (method === 'OPTIONS') {
        if (!cors || ctx.bucket === undefined) throw s3Error('AccessForbidden', { Method: 'OPTIONS', ResourceType: 'BUCKET' }, 'CORSResponse: CORS is not enabled for this bucket.');
        return await preflight(ctx, cors);
      }
      if (opts.guard?.isCrossSite(req)) {
        if (!cors) throw s3Error('AccessForbidden', { Method: method, ResourceType: 'BUCKET' }, 'CORSResponse: CORS is not enabled for this bucket.');
        admitCrossSite(ctx, cors, req);
      }
      if (cors && ctx.bucket !== undefined && ctx.key === undefined && ctx.query.has('cors')) {
        if (method === 'PUT') return await putBucketCors(ctx, cors);
        if (method === 'GET') return await getBucketCors(ctx, cors);
        if (method === 'DELETE') return await deleteBucketCors(ctx, cors);
      }
      if (ctx.query.has('cors') && !cors) throw s3Error('NotImplemented', {}, 'Bucket sub-resource "cors" is not implemented by localsage.');
      const op = route(ctx, method, req.headers['x-amz-copy-source'] !== undefined);
      await op(ctx);
      // A deleted bucket takes its CORS configuration with it.
      if (op === buckets.deleteBucket && cors && ctx.bucket !== undefined) cors.delete(ctx.bucket);
    };
    run().catch((err: unknown) => {
      try {
        const s3err = toS3Error(err, ctx);
        if (s3err.status >= 500 && !(err instanceof Error && 'code' in err)) {
          console.error(`[s3] ${req.method} ${req.url} failed:`, err);
        }
        discardBody(req);
        sendError(ctx, s3err);
      } catch {
        res.destroy();
      }
    });
  };
}
