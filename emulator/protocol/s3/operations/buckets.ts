import { createHash } from 'node:crypto';
import { StoreError } from '../../../storage/object-store.js';
import { bucketOf, type S3Context } from '../context.js';
import { s3Error } from '../errors.js';
import { isValidBucketName } from '../names.js';
import { readSmallPayload } from '../payload.js';
import { sendEmpty, sendXml } from '../respond.js';
import { buildXml, parseXml, textOf } from '../xml.js';

/** S3 canonical user ids are 64 hex characters; derive a stable one from the account. */
export function owner(ctx: S3Context) {
  return {
    ID: createHash('sha256').update(ctx.identity.accountId).digest('hex'),
    DisplayName: 'localsage',
  };
}

export async function listBuckets(ctx: S3Context): Promise<void> {
  const buckets = await ctx.store.listBuckets();
  const xml = buildXml('ListAllMyBucketsResult', {
    Owner: owner(ctx),
    Buckets: { Bucket: buckets.map((b) => ({ Name: b.name, CreationDate: b.creationDate })) },
  });
  sendXml(ctx, 200, xml);
}

export async function createBucket(ctx: S3Context): Promise<void> {
  const bucket = bucketOf(ctx);
  if (!isValidBucketName(bucket)) throw s3Error('InvalidBucketName', { BucketName: bucket });
  const body = await readSmallPayload(ctx.req, 1 << 20);
  let region: string | undefined;
  if (body.length > 0) {
    const config = parseXml(body.toString('utf8'), 'CreateBucketConfiguration');
    region = textOf(config, 'LocationConstraint')?.trim() || undefined;
  }
  // No configuration means us-east-1 on AWS; here, the region the client signed for.
  const target = region ?? ctx.identity.region;
  try {
    await ctx.store.createBucket(bucket, target);
  } catch (e) {
    // S3's legacy rule: re-creating a bucket you own in us-east-1 succeeds; elsewhere it is 409.
    const owned = e instanceof StoreError && e.code === 'BucketAlreadyOwnedByYou';
    if (!owned || target !== 'us-east-1' || ((await ctx.store.bucketRegion?.(bucket)) ?? 'us-east-1') !== 'us-east-1') throw e;
  }
  sendEmpty(ctx, 200, { Location: `/${bucket}` });
}

export async function headBucket(ctx: S3Context): Promise<void> {
  const bucket = bucketOf(ctx);
  if (!(await ctx.store.bucketExists(bucket))) throw s3Error('NoSuchBucket', { BucketName: bucket });
  const region = (await ctx.store.bucketRegion?.(bucket)) ?? ctx.defaults.region;
  sendEmpty(ctx, 200, { 'x-amz-bucket-region': region, 'x-amz-access-point-alias': 'false' });
}

export async function deleteBucket(ctx: S3Context): Promise<void> {
  const bucket = bucketOf(ctx);
  await ctx.store.deleteBucket(bucket);
  for (const upload of await ctx.uploads.list(bucket)) await ctx.uploads.remove(upload.uploadId);
  sendEmpty(ctx, 204);
}

export async function getBucketLocation(ctx: S3Context): Promise<void> {
  const bucket = bucketOf(ctx);
  if (!(await ctx.store.bucketExists(bucket))) throw s3Error('NoSuchBucket', { BucketName: bucket });
  const region = (await ctx.store.bucketRegion?.(bucket)) ?? ctx.defaults.region;
  // S3 answers an empty constraint for us-east-1, which clients read as us-east-1.
  sendXml(ctx, 200, buildXml('LocationConstraint', region === 'us-east-1' ? '' : region));
}

/** Versioning is never enabled here; tools (the AWS CLI, minio's mc) ask before acting. */
export async function getBucketVersioning(ctx: S3Context): Promise<void> {
  const bucket = bucketOf(ctx);
  if (!(await ctx.store.bucketExists(bucket))) throw s3Error('NoSuchBucket', { BucketName: bucket });
  sendXml(ctx, 200, buildXml('VersioningConfiguration', {}));
}
