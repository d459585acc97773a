import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CallerIdentity, IdentityDefaults } from '../identity.js';
import type { ObjectStore } from '../../storage/object-store.js';
import type { MultipartStore } from './multipart-store.js';

/** Everything one S3 operation needs about its request. */
export interface S3Context {
  req: IncomingMessage;
  res: ServerResponse;
  store: ObjectStore;
  uploads: MultipartStore;
  defaults: IdentityDefaults;
  identity: CallerIdentity;
  requestId: string;
  bucket?: string;
  key?: string;
  query: URLSearchParams;
}

export function header(ctx: S3Context, name: string): string | undefined {
  const v = ctx.req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Narrows to a bucket-addressed request (the router guarantees it for bucket operations). */
export function bucketOf(ctx: S3Context): string {
  if (!ctx.bucket) throw new Error('operation routed without a bucket');
  return ctx.bucket;
}

export function keyOf(ctx: S3Context): string {
  if (ctx.key === undefined) throw new Error('operation routed without a key');
  return ctx.key;
}
