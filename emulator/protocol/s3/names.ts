/**
 * S3's bucket naming rules for new buckets (general purpose buckets):
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */
export function isValidBucketName(name: string): boolean {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name)) return false;
  if (name.includes('..') || name.includes('.-') || name.includes('-.')) return false;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return false;
  if (name.startsWith('xn--') || name.startsWith('sthree-')) return false;
  if (name.endsWith('-s3alias') || name.endsWith('--ol-s3')) return false;
  return true;
}

/**
 * Whether a name could address an existing bucket, new or legacy (us-east-1 once allowed
 * uppercase letters and underscores, up to 255 characters): anything else is InvalidBucketName
 * on every operation, not only on CreateBucket.
 */
export function couldBeBucketName(name: string): boolean {
  return /^[A-Za-z0-9._-]{1,255}$/.test(name) && name !== '.' && name !== '..';
}

/** S3 caps keys at 1024 bytes of UTF-8. */
export const MAX_KEY_BYTES = 1024;

/** `encoding-type=url` encoding: what botocore's unquote_plus and the minio client decode. */
export function urlEncodeKey(value: string): string {
  return encodeURIComponent(value).replace(/%2F/g, '/');
}
