import type { ObjectInfo } from '../../../storage/object-store.js';
import { bucketOf, type S3Context } from '../context.js';
import { s3Error } from '../errors.js';
import { urlEncodeKey } from '../names.js';
import { sendXml } from '../respond.js';
import { buildXml, type XmlObject } from '../xml.js';
import { owner } from './buckets.js';

function maxKeysParam(ctx: S3Context): number {
  const raw = ctx.query.get('max-keys');
  if (raw === null || raw === '') return 1000;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n)) {
    throw s3Error('InvalidArgument', { ArgumentName: 'max-keys', ArgumentValue: raw }, 'Provided max-keys not an integer or within integer range');
  }
  return Math.min(n, 1000);
}

function encoder(ctx: S3Context): (s: string | undefined) => string | undefined {
  const type = ctx.query.get('encoding-type');
  if (type === null) return (s) => s;
  if (type.toLowerCase() !== 'url') {
    throw s3Error('InvalidArgument', { ArgumentName: 'encoding-type', ArgumentValue: type }, 'Invalid Encoding Method specified in Request');
  }
  return (s) => (s === undefined ? undefined : urlEncodeKey(s));
}

function contents(ctx: S3Context, objects: ObjectInfo[], enc: (s: string) => string | undefined, withOwner: boolean): XmlObject[] {
  return objects.map((o) => {
    const algorithms = Object.keys(o.checksums ?? {});
    return {
      Key: enc(o.key),
      LastModified: o.lastModified,
      ETag: o.etag,
      ...(algorithms.length > 0 ? { ChecksumAlgorithm: algorithms, ChecksumType: 'FULL_OBJECT' } : {}),
      Size: o.size,
      Owner: withOwner ? owner(ctx) : undefined,
      StorageClass: 'STANDARD',
    };
  });
}

/** Continuation tokens are opaque to clients: base64url of the key or prefix to resume after. */
const encodeToken = (marker: string) => Buffer.from(marker, 'utf8').toString('base64url');

function decodeToken(token: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) {
    throw s3Error('InvalidArgument', { ArgumentName: 'continuation-token' }, 'The continuation token provided is incorrect');
  }
  return Buffer.from(token, 'base64url').toString('utf8');
}

export async function listObjectsV2(ctx: S3Context): Promise<void> {
  const bucket = bucketOf(ctx);
  const enc = encoder(ctx);
  const maxKeys = maxKeysParam(ctx);
  const prefix = ctx.query.get('prefix') ?? '';
  const delimiter = ctx.query.get('delimiter') || undefined;
  const token = ctx.query.get('continuation-token') ?? undefined;
  const startAfter = ctx.query.get('start-after') || undefined;
  const resumeAfter = token !== undefined ? decodeToken(token) : startAfter;
  // A start-after past the token's position still applies.
  const effective = resumeAfter !== undefined && startAfter !== undefined && Buffer.compare(Buffer.from(startAfter), Buffer.from(resumeAfter)) > 0 ? startAfter : resumeAfter;
  const page = await ctx.store.listObjects(bucket, { prefix, delimiter, startAfter: effective, maxKeys });
  const xml = buildXml('ListBucketResult', {
    Name: bucket,
    Prefix: enc(prefix),
    Delimiter: enc(delimiter),
    MaxKeys: maxKeys,
    KeyCount: page.objects.length + page.commonPrefixes.length,
    IsTruncated: page.isTruncated,
    ContinuationToken: token,
    NextContinuationToken: page.isTruncated && page.nextMarker !== undefined ? encodeToken(page.nextMarker) : undefined,
    StartAfter: enc(startAfter),
    EncodingType: ctx.query.get('encoding-type') ? 'url' : undefined,
    Contents: contents(ctx, page.objects, (s) => enc(s), ctx.query.get('fetch-owner') === 'true'),
    CommonPrefixes: page.commonPrefixes.map((p) => ({ Prefix: enc(p) })),
  });
  sendXml(ctx, 200, xml);
}

export async function listObjectsV1(ctx: S3Context): Promise<void> {
  const bucket = bucketOf(ctx);
  const enc = encoder(ctx);
  const maxKeys = maxKeysParam(ctx);
  const prefix = ctx.query.get('prefix') ?? '';
  const delimiter = ctx.query.get('delimiter') || undefined;
  const marker = ctx.query.get('marker') ?? '';
  const page = await ctx.store.listObjects(bucket, { prefix, delimiter, startAfter: marker || undefined, maxKeys });
  const xml = buildXml('ListBucketResult', {
    Name: bucket,
    Prefix: enc(prefix),
    Marker: enc(marker),
    NextMarker: page.isTruncated ? enc(page.nextMarker) : undefined,
    Delimiter: enc(delimiter),
    MaxKeys: maxKeys,
    IsTruncated: page.isTruncated,
    EncodingType: ctx.query.get('encoding-type') ? 'url' : undefined,
    Contents: contents(ctx, page.objects, (s) => enc(s), true),
    CommonPrefixes: page.commonPrefixes.map((p) => ({ Prefix: enc(p) })),
  });
  sendXml(ctx, 200, xml);
}
