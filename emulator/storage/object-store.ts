import type { Readable } from 'node:stream';

/**
 * The one object-store interface. The S3 API front end (embedded backend) and the training and
 * serving code (reading channels, writing artifacts) both go through it, so the embedded
 * filesystem store and an external MinIO serve every feature alike.
 */
export interface ObjectInfo {
  key: string;
  size: number;
  etag: string; // quoted, as S3 sends it
  lastModified: Date;
  contentType?: string;
  metadata?: Record<string, string>;
  checksums?: Record<string, string>; // e.g. { CRC32: 'base64', SHA256: 'base64' }
}

export interface BucketInfo {
  name: string;
  creationDate: Date;
}

export interface PutOptions {
  contentType?: string;
  metadata?: Record<string, string>;
  /**
   * The S3 front end fills in trailing checksums (sent after the body) by the time the body
   * stream ends, so stores should read this after consuming the body where they can.
   */
  checksums?: Record<string, string>;
  /**
   * Stored instead of the MD5 of the content: a completed multipart upload keeps its
   * `"<md5-of-md5s>-<n>"` ETag. Stores that compute their own ETag (MinIO) may ignore it.
   */
  etag?: string;
  /** Byte length of a streamed body when known, so stores can size uploads without buffering. */
  size?: number;
}

export interface ListOptions {
  prefix?: string;
  delimiter?: string;
  startAfter?: string;
  maxKeys?: number;
}

export interface ListResult {
  objects: ObjectInfo[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** The last key or common prefix returned, to resume after. */
  nextMarker?: string;
}

export interface ObjectStore {
  readonly kind: 'embedded' | 'minio';
  createBucket(bucket: string, region?: string): Promise<void>;
  bucketExists(bucket: string): Promise<boolean>;
  listBuckets(): Promise<BucketInfo[]>;
  /** The region a bucket was created in, for GetBucketLocation; undefined when unknown. */
  bucketRegion?(bucket: string): Promise<string | undefined>;
  deleteBucket(bucket: string): Promise<void>;
  putObject(bucket: string, key: string, body: Buffer | Readable, opts?: PutOptions): Promise<ObjectInfo>;
  /** Range is inclusive [start, end], as in HTTP. */
  getObject(bucket: string, key: string, range?: { start: number; end: number }): Promise<{ info: ObjectInfo; body: Readable }>;
  headObject(bucket: string, key: string): Promise<ObjectInfo>;
  deleteObject(bucket: string, key: string): Promise<void>;
  listObjects(bucket: string, opts?: ListOptions): Promise<ListResult>;
  copyObject(srcBucket: string, srcKey: string, dstBucket: string, dstKey: string, opts?: PutOptions & { replaceMetadata?: boolean }): Promise<ObjectInfo>;
  close?(): Promise<void>;
}

/** Thrown by stores; the S3 front end maps these to S3's wire errors. */
export class StoreError extends Error {
  constructor(
    readonly code: 'NoSuchBucket' | 'NoSuchKey' | 'BucketAlreadyOwnedByYou' | 'BucketNotEmpty' | 'InvalidRange' | 'InvalidBucketName' | 'ServiceUnavailable',
    message: string,
  ) {
    super(message);
  }
}

/** Reads a whole object into memory (for model artifacts and small files). */
export async function readObject(store: ObjectStore, bucket: string, key: string): Promise<Buffer> {
  const { body } = await store.getObject(bucket, key);
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Lists every object under a prefix, following truncation. */
export async function listAll(store: ObjectStore, bucket: string, prefix: string): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  let startAfter: string | undefined;
  for (;;) {
    const page = await store.listObjects(bucket, { prefix, startAfter, maxKeys: 1000 });
    out.push(...page.objects);
    if (!page.isTruncated || !page.nextMarker) return out;
    startAfter = page.nextMarker;
  }
}

/** Splits `s3://bucket/key` into its parts. */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m) throw new Error(`not an S3 URI: ${uri}`);
  return { bucket: m[1], key: m[2] };
}
