import { pipeline } from 'node:stream/promises';
import type { ObjectInfo } from '../../../storage/object-store.js';
import { bucketOf, header, keyOf, type S3Context } from '../context.js';
import { s3Error } from '../errors.js';
import { MAX_KEY_BYTES } from '../names.js';
import { openPayload, readSmallPayload, requestedAlgorithm } from '../payload.js';
import { checksumHeaders, httpDate, objectHeaders, sendEmpty, sendXml, startStream } from '../respond.js';
import { buildXml, parseXml, textOf } from '../xml.js';

export async function requireBucket(ctx: S3Context, bucket = bucketOf(ctx)): Promise<void> {
  if (!(await ctx.store.bucketExists(bucket))) throw s3Error('NoSuchBucket', { BucketName: bucket });
}

export function checkKey(key: string): void {
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    throw s3Error('KeyTooLongError', { MaxSizeAllowed: MAX_KEY_BYTES, Size: Buffer.byteLength(key, 'utf8') });
  }
}

/** User metadata from `x-amz-meta-*` request headers (Node has already lowercased the names). */
export function metadataFromHeaders(ctx: S3Context): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(ctx.req.headers)) {
    if (name.startsWith('x-amz-meta-') && value !== undefined) {
      out[name.slice('x-amz-meta-'.length)] = Array.isArray(value) ? value.join(',') : value;
    }
  }
  return out;
}

export async function putObject(ctx: S3Context): Promise<void> {
  const bucket = bucketOf(ctx);
  const key = keyOf(ctx);
  checkKey(key);
  // Before reading the body: a missing bucket must not cost an upload.
  await requireBucket(ctx);
  const payload = openPayload(ctx.req, [requestedAlgorithm(ctx.req)]);
  if (header(ctx, 'if-none-match') === '*') {
    const exists = await ctx.store.headObject(bucket, key).then(() => true, () => false);
    if (exists) throw s3Error('PreconditionFailed', { Condition: 'If-None-Match' });
  }
  const info = await ctx.store.putObject(bucket, key, payload.stream, {
    contentType: header(ctx, 'content-type'),
    metadata: metadataFromHeaders(ctx),
    checksums: payload.checksums,
    size: payload.length,
  });
  sendEmpty(ctx, 200, { ETag: info.etag, ...checksumHeaders(payload.checksums) });
}

type Range = { start: number; end: number };

/**
 * Parses a single `bytes=` range against the object size. Syntactically invalid or multi-range
 * headers are ignored (whole object), as S3 does; an unsatisfiable one is InvalidRange.
 */
export function parseRange(value: string | undefined, size: number): Range | undefined {
  if (!value) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(value.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  const unsatisfiable = () =>
    s3Error('InvalidRange', { RangeRequested: value, ActualObjectSize: size }, undefined);
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) throw withContentRange(unsatisfiable(), size);
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  // `bytes=5-2` is not a range at all (ignored); `bytes=10-` on 10 bytes is one that cannot be met.
  if (m[2] !== '' && Number(m[2]) < start) return undefined;
  if (start >= size) throw withContentRange(unsatisfiable(), size);
  return { start, end: m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1) };
}

function withContentRange<E extends { headers: Record<string, string> }>(err: E, size: number): E {
  err.headers['Content-Range'] = `bytes */${size}`;
  return err;
}

const stripQuotes = (etag: string) => etag.trim().replace(/^W\//, '').replace(/^"|"$/g, '');

function etagMatches(list: string, etag: string): boolean {
  return list.split(',').some((t) => t.trim() === '*' || stripQuotes(t) === stripQuotes(etag));
}

/** HTTP conditional headers, in RFC 7232's order of precedence. */
function evaluateConditions(ctx: S3Context, info: ObjectInfo): 'proceed' | 'not-modified' {
  const ifMatch = header(ctx, 'if-match');
  const ifNoneMatch = header(ctx, 'if-none-match');
  const ifModifiedSince = header(ctx, 'if-modified-since');
  const ifUnmodifiedSince = header(ctx, 'if-unmodified-since');
  const modified = info.lastModified.getTime();
  if (ifMatch !== undefined && !etagMatches(ifMatch, info.etag)) {
    throw s3Error('PreconditionFailed', { Condition: 'If-Match' });
  }
  if (ifMatch === undefined && ifUnmodifiedSince !== undefined) {
    const t = Date.parse(ifUnmodifiedSince);
    if (!Number.isNaN(t) && modified > t) throw s3Error('PreconditionFailed', { Condition: 'If-Unmodified-Since' });
  }
  if (ifNoneMatch !== undefined && etagMatches(ifNoneMatch, info.etag)) return 'not-modified';
  if (ifNoneMatch === undefined && ifModifiedSince !== undefined) {
    const t = Date.parse(ifModifiedSince);
    if (!Number.isNaN(t) && modified <= t) return 'not-modified';
  }
  return 'proceed';
}

/** `response-content-type=...` and friends, which presigned GETs use to set response headers. */
const RESPONSE_OVERRIDES: Record<string, string> = {
  'response-content-type': 'Content-Type',
  'response-content-language': 'Content-Language',
  'response-expires': 'Expires',
  'response-cache-control': 'Cache-Control',
  'response-content-disposition': 'Content-Disposition',
  'response-content-encoding': 'Content-Encoding',
};

async function readObject(ctx: S3Context, withBody: boolean): Promise<void> {
  const bucket = bucketOf(ctx);
  const key = keyOf(ctx);
  const head = await ctx.store.headObject(bucket, key);
  if (evaluateConditions(ctx, head) === 'not-modified') {
    sendEmpty(ctx, 304, { ETag: head.etag, 'Last-Modified': httpDate(head.lastModified) });
    return;
  }
  const range = parseRange(header(ctx, 'range'), head.size);
  // Full-object checksums describe the whole body only: a ranged response carries none.
  const withChecksums = !range && header(ctx, 'x-amz-checksum-mode')?.toUpperCase() === 'ENABLED';
  const overrides: Record<string, string> = {};
  for (const [param, name] of Object.entries(RESPONSE_OVERRIDES)) {
    const v = ctx.query.get(param);
    if (v !== null) overrides[name] = v;
  }

  if (!withBody) {
    startStream(ctx, range ? 206 : 200, {
      ...objectHeaders(head, withChecksums),
      ...overrides,
      'Content-Length': range ? range.end - range.start + 1 : head.size,
      'Content-Range': range ? `bytes ${range.start}-${range.end}/${head.size}` : undefined,
    });
    ctx.res.end();
    return;
  }

  const { info, body } = await ctx.store.getObject(bucket, key, range);
  const end = range ? Math.min(range.end, info.size - 1) : info.size - 1;
  startStream(ctx, range ? 206 : 200, {
    ...objectHeaders(info, withChecksums),
    ...overrides,
    'Content-Length': range ? end - range.start + 1 : info.size,
    'Content-Range': range ? `bytes ${range.start}-${end}/${info.size}` : undefined,
  });
  await pipeline(body, ctx.res);
}

export const getObject = (ctx: S3Context) => readObject(ctx, true);
export const headObject = (ctx: S3Context) => readObject(ctx, false);

export async function deleteObject(ctx: S3Context): Promise<void> {
  await ctx.store.deleteObject(bucketOf(ctx), keyOf(ctx));
  sendEmpty(ctx, 204);
}

export async function deleteObjects(ctx: S3Context): Promise<void> {
  const bucket = bucketOf(ctx);
  const doc = parseXml((await readSmallPayload(ctx.req)).toString('utf8'), 'Delete');
  await requireBucket(ctx);
  const objects = Array.isArray(doc.Object) ? (doc.Object as unknown[]) : [];
  if (objects.length === 0 || objects.length > 1000) throw s3Error('MalformedXML');
  const quiet = textOf(doc, 'Quiet')?.trim().toLowerCase() === 'true';
  const deleted: { Key: string }[] = [];
  const errors: { Key: string; Code: string; Message: string }[] = [];
  const keys = objects.map((o) => textOf(o, 'Key'));
  if (keys.some((k) => k === undefined)) throw s3Error('MalformedXML');
  // A few at a time: thousands of concurrent deletes would only queue on the disk.
  for (let i = 0; i < keys.length; i += 16) {
    await Promise.all(
      keys.slice(i, i + 16).map(async (key) => {
        const k = key as string;
        try {
          await ctx.store.deleteObject(bucket, k);
          deleted.push({ Key: k });
        } catch (err) {
          const code = (err as { code?: string }).code ?? 'InternalError';
          errors.push({ Key: k, Code: code, Message: (err as Error).message });
        }
      }),
    );
  }
  sendXml(ctx, 200, buildXml('DeleteResult', { Deleted: quiet ? undefined : deleted, Error: errors }));
}

/** `x-amz-copy-source`: `[/]bucket/key[?versionId=..]`, the key URL-encoded. */
export function parseCopySource(raw: string): { bucket: string; key: string; range?: string } {
  const q = raw.indexOf('?');
  const pathPart = (q === -1 ? raw : raw.slice(0, q)).replace(/^\//, '');
  const slash = pathPart.indexOf('/');
  if (slash <= 0 || slash === pathPart.length - 1) {
    throw s3Error('InvalidArgument', { ArgumentName: 'x-amz-copy-source' }, 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey');
  }
  try {
    return { bucket: decodeURIComponent(pathPart.slice(0, slash)), key: decodeURIComponent(pathPart.slice(slash + 1)) };
  } catch {
    throw s3Error('InvalidArgument', { ArgumentName: 'x-amz-copy-source' }, 'Invalid copy source encoding');
  }
}

export async function copyObject(ctx: S3Context): Promise<void> {
  const bucket = bucketOf(ctx);
  const key = keyOf(ctx);
  checkKey(key);
  const src = parseCopySource(header(ctx, 'x-amz-copy-source') ?? '');
  const directive = (header(ctx, 'x-amz-metadata-directive') ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') {
    throw s3Error('InvalidArgument', { ArgumentName: 'x-amz-metadata-directive', ArgumentValue: directive }, 'Unknown metadata directive.');
  }
  if (src.bucket === bucket && src.key === key && directive === 'COPY') {
    throw s3Error(
      'InvalidRequest',
      {},
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  await requireBucket(ctx, src.bucket);
  await requireBucket(ctx);
  const source = await ctx.store.headObject(src.bucket, src.key).catch((err) => {
    if ((err as { code?: string }).code === 'NoSuchKey') throw s3Error('NoSuchKey', { Key: src.key });
    throw err;
  });
  const ifMatch = header(ctx, 'x-amz-copy-source-if-match');
  if (ifMatch !== undefined && !etagMatches(ifMatch, source.etag)) {
    throw s3Error('PreconditionFailed', { Condition: 'x-amz-copy-source-If-Match' });
  }
  const ifNoneMatch = header(ctx, 'x-amz-copy-source-if-none-match');
  if (ifNoneMatch !== undefined && etagMatches(ifNoneMatch, source.etag)) {
    throw s3Error('PreconditionFailed', { Condition: 'x-amz-copy-source-If-None-Match' });
  }
  const info = await ctx.store.copyObject(src.bucket, src.key, bucket, key, {
    replaceMetadata: directive === 'REPLACE',
    contentType: header(ctx, 'content-type'),
    metadata: metadataFromHeaders(ctx),
  });
  const checksums: Record<string, string | undefined> = {};
  for (const [alg, value] of Object.entries(info.checksums ?? {})) checksums[`Checksum${alg}`] = value;
  sendXml(ctx, 200, buildXml('CopyObjectResult', { ETag: info.etag, LastModified: info.lastModified, ...checksums }));
}

export { etagMatches, stripQuotes };
