import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { Readable, Transform } from 'node:stream';
import * as Minio from 'minio';
import {
  StoreError,
  type BucketInfo,
  type ListOptions,
  type ListResult,
  type ObjectInfo,
  type ObjectStore,
  type PutOptions,
} from './object-store.js';

/**
 * The object store on an external MinIO (or any S3-compatible server) through the minio client.
 *
 * Flexible checksums cannot be passed through the minio client's putObject, so they travel as
 * reserved user metadata (`x-amz-meta-localsage-checksum-<alg>`) and are stripped on the way
 * back. The multipart ETag override of PutOptions is ignored: the server computes its own.
 */
const CHECKSUM_META = 'localsage-checksum-';

/** Headers the minio client's extractMetadata keeps that are not user metadata. */
const SYSTEM_META = new Set([
  'content-type',
  'cache-control',
  'content-encoding',
  'content-disposition',
  'content-language',
  'x-amz-website-redirect-location',
  'if-none-match',
  'if-match',
  'x-amz-storage-class',
]);

const quote = (etag: string) => (etag.startsWith('"') ? etag : `"${etag}"`);

/** Socket-level failures: the server is down or unreachable, not an answer from it. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ECONNABORTED']);

function errorCode(err: unknown): string | undefined {
  const e = err as { code?: string; name?: string };
  if (e?.name === 'InvalidBucketNameError') return 'InvalidBucketName';
  return typeof e?.code === 'string' ? e.code : undefined;
}

/** Splits minio's flat metadata into user metadata and our reserved checksum entries. */
function splitMetadata(meta: Record<string, unknown>): {
  contentType?: string;
  metadata: Record<string, string>;
  checksums: Record<string, string>;
} {
  const metadata: Record<string, string> = {};
  const checksums: Record<string, string> = {};
  let contentType: string | undefined;
  for (const [rawName, value] of Object.entries(meta)) {
    const name = rawName.toLowerCase();
    const text = Array.isArray(value) ? value.join(',') : String(value);
    if (name === 'content-type') contentType = text;
    else if (name.startsWith(CHECKSUM_META)) checksums[name.slice(CHECKSUM_META.length).toUpperCase()] = text;
    else if (!SYSTEM_META.has(name) && !name.startsWith('x-amz-')) metadata[name] = text;
  }
  return { contentType, metadata, checksums };
}

/** The user metadata of a raw response (GetObject), in the shape statObject reports it. */
function metadataFromHeaders(headers: IncomingHttpHeaders): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith('x-amz-meta-')) out[name.slice('x-amz-meta-'.length)] = value;
    else if (name === 'content-type') out[name] = value;
  }
  return out;
}

function toPutMetadata(opts: PutOptions): Record<string, string> {
  const meta: Record<string, string> = {};
  if (opts.contentType) meta['Content-Type'] = opts.contentType;
  for (const [k, v] of Object.entries(opts.metadata ?? {})) meta[`X-Amz-Meta-${k}`] = v;
  for (const [alg, v] of Object.entries(opts.checksums ?? {})) meta[`X-Amz-Meta-${CHECKSUM_META}${alg.toLowerCase()}`] = v;
  return meta;
}

export class MinioObjectStore implements ObjectStore {
  readonly kind = 'minio' as const;
  private readonly client: Minio.Client;
  private readonly region: string;
  private readonly endpoint: string;

  constructor(opts: { endpoint: string; accessKey: string; secretKey: string; region: string }) {
    const url = new URL(opts.endpoint);
    this.endpoint = url.origin;
    const useSSL = url.protocol === 'https:';
    this.region = opts.region;
    this.client = new Minio.Client({
      endPoint: url.hostname,
      port: url.port ? Number(url.port) : useSSL ? 443 : 80,
      useSSL,
      accessKey: opts.accessKey,
      secretKey: opts.secretKey,
      // A fixed region spares a GetBucketLocation round trip before each call.
      region: opts.region,
      pathStyle: true,
    });
  }

  /** Runs a client call, translating the server's error codes into StoreError. */
  private async call<T>(fn: () => Promise<T>, ctx: { bucket?: string; key?: string }): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw await this.translate(err, ctx);
    }
  }

  /**
   * MinIO gone away is S3's 503 ServiceUnavailable (which SDKs retry), not an internal error,
   * and never a missing bucket or key.
   */
  private unavailable(err: unknown): StoreError | undefined {
    const code = errorCode(err);
    if (!code || !UNREACHABLE.has(code)) return undefined;
    return new StoreError('ServiceUnavailable', `The object store at ${this.endpoint} does not answer: ${(err as Error).message}`);
  }

  private async translate(err: unknown, ctx: { bucket?: string; key?: string }): Promise<unknown> {
    const down = this.unavailable(err);
    if (down) return down;
    const code = errorCode(err);
    const where = ctx.key !== undefined ? `${ctx.bucket}/${ctx.key}` : ctx.bucket;
    switch (code) {
      case 'NoSuchBucket':
        return new StoreError('NoSuchBucket', `No such bucket: ${ctx.bucket}`);
      case 'NoSuchKey':
        return new StoreError('NoSuchKey', `No such key: ${where}`);
      case 'NotFound':
        // HEAD answers carry no error body: tell a missing key from a missing bucket by asking.
        if (ctx.key !== undefined && ctx.bucket && (await this.bucketExists(ctx.bucket))) {
          return new StoreError('NoSuchKey', `No such key: ${where}`);
        }
        return new StoreError('NoSuchBucket', `No such bucket: ${ctx.bucket}`);
      case 'BucketAlreadyOwnedByYou':
      case 'BucketAlreadyExists':
        return new StoreError('BucketAlreadyOwnedByYou', `Bucket ${ctx.bucket} already exists`);
      case 'BucketNotEmpty':
        return new StoreError('BucketNotEmpty', `Bucket ${ctx.bucket} is not empty`);
      case 'InvalidRange':
        return new StoreError('InvalidRange', `Range not satisfiable for ${where}`);
      case 'InvalidBucketName':
        return new StoreError('InvalidBucketName', `Invalid bucket name: ${ctx.bucket}`);
      default:
        return err;
    }
  }

  async createBucket(bucket: string): Promise<void> {
    // S3 itself answers 200 to re-creating your own bucket in us-east-1; the store contract is
    // the same for every backend, so ask first.
    if (await this.bucketExists(bucket)) throw new StoreError('BucketAlreadyOwnedByYou', `Bucket ${bucket} already exists`);
    await this.call(() => this.client.makeBucket(bucket), { bucket });
  }

  async bucketExists(bucket: string): Promise<boolean> {
    try {
      return await this.client.bucketExists(bucket);
    } catch (err) {
      if (errorCode(err) === 'InvalidBucketName') return false;
      throw this.unavailable(err) ?? err;
    }
  }

  async bucketRegion(): Promise<string> {
    return this.region;
  }

  async listBuckets(): Promise<BucketInfo[]> {
    const buckets = await this.call(() => this.client.listBuckets(), {});
    return buckets.map((b) => ({ name: b.name, creationDate: new Date(b.creationDate) }));
  }

  async deleteBucket(bucket: string): Promise<void> {
    await this.call(() => this.client.removeBucket(bucket), { bucket });
  }

  async putObject(bucket: string, key: string, body: Buffer | Readable, opts: PutOptions = {}): Promise<ObjectInfo> {
    // Counted on the way through: the size must be reported even when the caller did not know it.
    let size = 0;
    let source: Buffer | Readable = body;
    if (!Buffer.isBuffer(body)) {
      const counter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          size += chunk.length;
          done(null, chunk);
        },
      });
      body.on('error', (err) => counter.destroy(err));
      source = body.pipe(counter);
    } else {
      size = body.length;
    }
    const result = await this.call(
      () => this.client.putObject(bucket, key, source, Buffer.isBuffer(body) ? body.length : opts.size, toPutMetadata(opts)),
      { bucket, key },
    );
    return {
      key,
      size,
      etag: quote(result.etag),
      lastModified: new Date(Math.floor(Date.now() / 1000) * 1000),
      contentType: opts.contentType,
      metadata: opts.metadata ?? {},
      checksums: { ...(opts.checksums ?? {}) },
    };
  }

  async getObject(
    bucket: string,
    key: string,
    range?: { start: number; end: number },
  ): Promise<{ info: ObjectInfo; body: Readable }> {
    if (range && (range.start < 0 || range.end < range.start)) {
      throw new StoreError('InvalidRange', `Range ${range.start}-${range.end} is not valid`);
    }
    const stream = await this.call(
      () =>
        range
          ? this.client.getPartialObject(bucket, key, range.start, range.end - range.start + 1)
          : this.client.getObject(bucket, key),
      { bucket, key },
    );
    // The client hands back the HTTP response itself; its headers describe the object.
    const headers = (stream as unknown as IncomingMessage).headers ?? {};
    const total = /\/(\d+)$/.exec(String(headers['content-range'] ?? ''));
    const size = total ? Number(total[1]) : Number(headers['content-length'] ?? 0);
    const meta = splitMetadata(metadataFromHeaders(headers));
    const info: ObjectInfo = {
      key,
      size,
      etag: quote(String(headers.etag ?? '')),
      lastModified: new Date(String(headers['last-modified'] ?? Date.now())),
      ...meta,
    };
    return { info, body: stream };
  }

  async headObject(bucket: string, key: string): Promise<ObjectInfo> {
    const stat = await this.call(() => this.client.statObject(bucket, key), { bucket, key });
    return {
      key,
      size: stat.size,
      etag: quote(stat.etag),
      lastModified: stat.lastModified,
      ...splitMetadata(stat.metaData ?? {}),
    };
  }

  async deleteObject(bucket: string, key: string): Promise<void> {
    await this.call(() => this.client.removeObject(bucket, key), { bucket, key });
  }

  async copyObject(
    srcBucket: string,
    srcKey: string,
    dstBucket: string,
    dstKey: string,
    opts: PutOptions & { replaceMetadata?: boolean } = {},
  ): Promise<ObjectInfo> {
    const source = await this.headObject(srcBucket, srcKey);
    const replace = opts.replaceMetadata ?? false;
    // Checksums describe the bytes, which a copy keeps, so they survive a metadata REPLACE.
    const meta: Record<string, string> = {};
    for (const [k, v] of Object.entries(replace ? (opts.metadata ?? {}) : (source.metadata ?? {}))) meta[k] = v;
    for (const [alg, v] of Object.entries(opts.checksums ?? source.checksums ?? {})) meta[`${CHECKSUM_META}${alg.toLowerCase()}`] = v;
    const contentType = replace ? opts.contentType : source.contentType;
    await this.call(
      () =>
        this.client.copyObject(
          new Minio.CopySourceOptions({ Bucket: srcBucket, Object: srcKey }),
          new Minio.CopyDestinationOptions({
            Bucket: dstBucket,
            Object: dstKey,
            MetadataDirective: 'REPLACE',
            UserMetadata: meta,
            Headers: contentType ? { 'Content-Type': contentType } : {},
          }),
        ),
      { bucket: dstBucket, key: dstKey },
    );
    return this.headObject(dstBucket, dstKey);
  }

  async listObjects(bucket: string, opts: ListOptions = {}): Promise<ListResult> {
    const maxKeys = Math.min(opts.maxKeys ?? 1000, 1000);
    if (maxKeys <= 0) {
      if (!(await this.bucketExists(bucket))) throw new StoreError('NoSuchBucket', `No such bucket: ${bucket}`);
      return { objects: [], commonPrefixes: [], isTruncated: false };
    }
    // ListObjects v1: its marker has exactly startAfter's meaning, including skipping a rolled-up prefix.
    const page = await this.call(
      () =>
        this.client.listObjectsQuery(bucket, opts.prefix ?? '', opts.startAfter ?? '', {
          Delimiter: opts.delimiter ?? '',
          MaxKeys: maxKeys,
        }),
      { bucket },
    );
    const objects: ObjectInfo[] = [];
    const commonPrefixes: string[] = [];
    for (const o of page.objects ?? []) {
      if (o.prefix !== undefined) commonPrefixes.push(o.prefix);
      else if (o.name !== undefined) {
        objects.push({
          key: o.name,
          size: Number(o.size ?? 0),
          etag: quote(o.etag ?? ''),
          lastModified: o.lastModified ?? new Date(0),
        });
      }
    }
    const isTruncated = page.isTruncated === true || String(page.isTruncated) === 'true';
    let nextMarker: string | undefined;
    if (isTruncated) {
      const candidates = [objects.at(-1)?.key, commonPrefixes.at(-1)].filter((s): s is string => s !== undefined);
      nextMarker = candidates.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))).at(-1) ?? page.nextMarker;
    }
    return { objects, commonPrefixes, isTruncated, nextMarker };
  }
}
