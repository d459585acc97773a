import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { createDigest } from '../checksums.js';
import { bucketOf, header, keyOf, type S3Context } from '../context.js';
import { s3Error } from '../errors.js';
import type { PartRecord } from '../multipart-store.js';
import { openPayload, readSmallPayload, requestedAlgorithm } from '../payload.js';
import { checksumHeaders, sendEmpty, sendXml } from '../respond.js';
import { buildXml, parseXml, textOf } from '../xml.js';
import { owner } from './buckets.js';
import { checkKey, metadataFromHeaders, parseCopySource, requireBucket, stripQuotes } from './objects.js';

/** S3's minimum size for every part but the last. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
const MAX_PART_NUMBER = 10000;

function uploadIdParam(ctx: S3Context): string {
  return ctx.query.get('uploadId') ?? '';
}

function partNumberParam(ctx: S3Context): number {
  const raw = ctx.query.get('partNumber') ?? '';
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > MAX_PART_NUMBER) {
    throw s3Error(
      'InvalidArgument',
      { ArgumentName: 'partNumber', ArgumentValue: raw },
      'Part number must be an integer between 1 and 10000, inclusive',
    );
  }
  return n;
}

export async function createMultipartUpload(ctx: S3Context): Promise<void> {
  const bucket = bucketOf(ctx);
  const key = keyOf(ctx);
  checkKey(key);
  await requireBucket(ctx);
  const checksumAlgorithm = requestedAlgorithm(ctx.req);
  const upload = await ctx.uploads.create({
    bucket,
    key,
    contentType: header(ctx, 'content-type'),
    metadata: metadataFromHeaders(ctx),
    checksumAlgorithm,
  });
  sendXml(ctx, 200, buildXml('InitiateMultipartUploadResult', { Bucket: bucket, Key: key, UploadId: upload.uploadId }), {
    'x-amz-checksum-algorithm': checksumAlgorithm,
  });
}

export async function uploadPart(ctx: S3Context): Promise<void> {
  const partNumber = partNumberParam(ctx);
  const upload = await ctx.uploads.get(uploadIdParam(ctx), bucketOf(ctx), keyOf(ctx));
  const payload = openPayload(ctx.req, [upload.checksumAlgorithm]);
  const part = await ctx.uploads.putPart(upload, partNumber, payload.stream, payload.checksums);
  sendEmpty(ctx, 200, { ETag: part.etag, ...checksumHeaders(part.checksums) });
}

export async function uploadPartCopy(ctx: S3Context): Promise<void> {
  const partNumber = partNumberParam(ctx);
  const upload = await ctx.uploads.get(uploadIdParam(ctx), bucketOf(ctx), keyOf(ctx));
  const src = parseCopySource(header(ctx, 'x-amz-copy-source') ?? '');
  await requireBucket(ctx, src.bucket);
  const rangeHeader = header(ctx, 'x-amz-copy-source-range');
  let range: { start: number; end: number } | undefined;
  if (rangeHeader !== undefined) {
    const m = /^bytes=(\d+)-(\d+)$/.exec(rangeHeader.trim());
    if (!m || Number(m[2]) < Number(m[1])) {
      throw s3Error(
        'InvalidArgument',
        { ArgumentName: 'x-amz-copy-source-range', ArgumentValue: rangeHeader },
        'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy',
      );
    }
    range = { start: Number(m[1]), end: Number(m[2]) };
  }
  const { info, body } = await ctx.store.getObject(src.bucket, src.key, range);
  if (range && range.end >= info.size) {
    body.destroy();
    throw s3Error('InvalidRange', { RangeRequested: rangeHeader, ActualObjectSize: info.size });
  }
  const part = await ctx.uploads.putPart(upload, partNumber, body, {});
  sendXml(ctx, 200, buildXml('CopyPartResult', { ETag: part.etag, LastModified: new Date(part.lastModified) }));
}

/** Streams the parts back to back, in order. */
function concatenate(ctx: S3Context, uploadId: string, parts: PartRecord[]): Readable {
  return Readable.from(
    (async function* () {
      for (const p of parts) yield* ctx.uploads.partStream(uploadId, p.partNumber);
    })(),
    { objectMode: false },
  );
}

export async function completeMultipartUpload(ctx: S3Context): Promise<void> {
  const bucket = bucketOf(ctx);
  const key = keyOf(ctx);
  const uploadId = uploadIdParam(ctx);
  const upload = await ctx.uploads.get(uploadId, bucket, key);
  const doc = parseXml((await readSmallPayload(ctx.req)).toString('utf8'), 'CompleteMultipartUpload');
  const requested = (Array.isArray(doc.Part) ? (doc.Part as unknown[]) : []).map((p) => ({
    partNumber: Number(textOf(p, 'PartNumber')?.trim()),
    etag: textOf(p, 'ETag') ?? '',
  }));
  if (requested.length === 0 || requested.some((r) => !Number.isInteger(r.partNumber))) throw s3Error('MalformedXML');
  for (let i = 1; i < requested.length; i++) {
    if (requested[i].partNumber <= requested[i - 1].partNumber) throw s3Error('InvalidPartOrder', { UploadId: uploadId });
  }
  const stored = new Map((await ctx.uploads.listParts(uploadId)).map((p) => [p.partNumber, p]));
  const parts = requested.map((r) => {
    const part = stored.get(r.partNumber);
    if (!part || stripQuotes(r.etag) !== stripQuotes(part.etag)) {
      throw s3Error('InvalidPart', { UploadId: uploadId, PartNumber: r.partNumber, ETag: r.etag });
    }
    return part;
  });
  parts.forEach((p, i) => {
    if (i < parts.length - 1 && p.size < MIN_PART_SIZE) {
      throw s3Error('EntityTooSmall', { ProposedSize: p.size, MinSizeAllowed: MIN_PART_SIZE, PartNumber: p.partNumber, ETag: p.etag });
    }
  });
  await requireBucket(ctx);

  const md5s = Buffer.concat(parts.map((p) => Buffer.from(stripQuotes(p.etag), 'hex')));
  const etag = `"${createHash('md5').update(md5s).digest('hex')}-${parts.length}"`;
  const size = parts.reduce((n, p) => n + p.size, 0);
  // The object's checksum covers the whole object; the store needs it before the bytes flow,
  // so it takes one extra read of the parts, only when the upload asked for a checksum.
  const checksums: Record<string, string> = {};
  if (upload.checksumAlgorithm) {
    const digest = createDigest(upload.checksumAlgorithm);
    for await (const chunk of concatenate(ctx, uploadId, parts)) digest.update(chunk as Buffer);
    checksums[upload.checksumAlgorithm] = digest.digest();
  }
  const info = await ctx.store.putObject(bucket, key, concatenate(ctx, uploadId, parts), {
    contentType: upload.contentType,
    metadata: upload.metadata,
    etag,
    size,
    checksums,
  });
  await ctx.uploads.remove(uploadId);
  const host = header(ctx, 'host') ?? 'localhost';
  const checksumMembers: Record<string, string> = {};
  for (const [alg, value] of Object.entries(checksums)) checksumMembers[`Checksum${alg}`] = value;
  sendXml(
    ctx,
    200,
    buildXml('CompleteMultipartUploadResult', {
      Location: `http://${host}/${bucket}/${encodeURI(key)}`,
      Bucket: bucket,
      Key: key,
      ETag: info.etag,
      ...checksumMembers,
      ...(Object.keys(checksums).length > 0 ? { ChecksumType: 'FULL_OBJECT' } : {}),
    }),
  );
}

export async function abortMultipartUpload(ctx: S3Context): Promise<void> {
  const upload = await ctx.uploads.get(uploadIdParam(ctx), bucketOf(ctx), keyOf(ctx));
  await ctx.uploads.remove(upload.uploadId);
  sendEmpty(ctx, 204);
}

export async function listParts(ctx: S3Context): Promise<void> {
  const bucket = bucketOf(ctx);
  const key = keyOf(ctx);
  const upload = await ctx.uploads.get(uploadIdParam(ctx), bucket, key);
  const marker = Number(ctx.query.get('part-number-marker') ?? 0) || 0;
  const maxParts = Math.min(Number(ctx.query.get('max-parts') ?? 1000) || 1000, 1000);
  const all = (await ctx.uploads.listParts(upload.uploadId)).filter((p) => p.partNumber > marker);
  const page = all.slice(0, maxParts);
  const truncated = all.length > page.length;
  sendXml(
    ctx,
    200,
    buildXml('ListPartsResult', {
      Bucket: bucket,
      Key: key,
      UploadId: upload.uploadId,
      Initiator: owner(ctx),
      Owner: owner(ctx),
      StorageClass: 'STANDARD',
      PartNumberMarker: marker,
      NextPartNumberMarker: page.length > 0 ? page[page.length - 1].partNumber : marker,
      MaxParts: maxParts,
      IsTruncated: truncated,
      ChecksumAlgorithm: upload.checksumAlgorithm,
      Part: page.map((p) => {
        const sums: Record<string, string> = {};
        for (const [alg, value] of Object.entries(p.checksums)) sums[`Checksum${alg}`] = value;
        return { PartNumber: p.partNumber, LastModified: new Date(p.lastModified), ETag: p.etag, Size: p.size, ...sums };
      }),
    }),
  );
}

export async function listMultipartUploads(ctx: S3Context): Promise<void> {
  const bucket = bucketOf(ctx);
  await requireBucket(ctx);
  const prefix = ctx.query.get('prefix') ?? '';
  const uploads = (await ctx.uploads.list(bucket)).filter((u) => u.key.startsWith(prefix));
  sendXml(
    ctx,
    200,
    buildXml('ListMultipartUploadsResult', {
      Bucket: bucket,
      KeyMarker: '',
      UploadIdMarker: '',
      Prefix: prefix,
      MaxUploads: 1000,
      IsTruncated: false,
      Upload: uploads.map((u) => ({
        Key: u.key,
        UploadId: u.uploadId,
        Initiator: owner(ctx),
        Owner: owner(ctx),
        StorageClass: 'STANDARD',
        Initiated: new Date(u.initiated),
      })),
    }),
  );
}
