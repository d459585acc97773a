import { AwsError } from '../errors.js';
import { StoreError } from '../../storage/object-store.js';

/** S3's own status and wording for each code clients branch on. */
const S3_ERRORS: Record<string, [number, string]> = {
  AccessDenied: [403, 'Access Denied'],
  AccessForbidden: [403, 'CORSResponse: This CORS request is not allowed.'],
  BadRequest: [400, 'Bad Request'],
  BadDigest: [400, 'The Content-MD5 you specified did not match what we received.'],
  BucketAlreadyExists: [409, 'The requested bucket name is not available.'],
  BucketAlreadyOwnedByYou: [409, 'Your previous request to create the named bucket succeeded and you already own it.'],
  BucketNotEmpty: [409, 'The bucket you tried to delete is not empty'],
  EntityTooLarge: [400, 'Your proposed upload exceeds the maximum allowed object size.'],
  EntityTooSmall: [400, 'Your proposed upload is smaller than the minimum allowed object size.'],
  IncompleteBody: [400, 'You did not provide the number of bytes specified by the Content-Length HTTP header.'],
  InternalError: [500, 'We encountered an internal error. Please try again.'],
  InvalidArgument: [400, 'Invalid Argument'],
  InvalidBucketName: [400, 'The specified bucket is not valid.'],
  InvalidDigest: [400, 'The Content-MD5 you specified was invalid.'],
  InvalidPart: [
    400,
    "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
  ],
  InvalidPartOrder: [400, 'The list of parts was not in ascending order. Parts must be ordered by part number.'],
  InvalidRange: [416, 'The requested range is not satisfiable'],
  InvalidRequest: [400, 'Invalid Request'],
  InvalidURI: [400, "Couldn't parse the specified URI."],
  KeyTooLongError: [400, 'Your key is too long'],
  MalformedXML: [
    400,
    'The XML you provided was not well-formed or did not validate against our published schema',
  ],
  MaxMessageLengthExceeded: [400, 'Your request was too big.'],
  MethodNotAllowed: [405, 'The specified method is not allowed against this resource.'],
  MissingContentLength: [411, 'You must provide the Content-Length HTTP header.'],
  NoSuchCORSConfiguration: [404, 'The CORS configuration does not exist'],
  NoSuchBucket: [404, 'The specified bucket does not exist'],
  NoSuchKey: [404, 'The specified key does not exist.'],
  NoSuchUpload: [
    404,
    'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
  ],
  NotImplemented: [501, 'A header you provided implies functionality that is not implemented'],
  PreconditionFailed: [412, 'At least one of the pre-conditions you specified did not hold'],
  ServiceUnavailable: [503, 'Service is unable to handle request.'],
  XAmzContentSHA256Mismatch: [400, "The provided 'x-amz-content-sha256' header does not match what was computed."],
};

/** An S3 error with S3's status and default message; `extra` members go into the XML body. */
export function s3Error(code: string, extra: Record<string, unknown> = {}, message?: string): AwsError {
  const [status, defaultMessage] = S3_ERRORS[code] ?? [400, code];
  return new AwsError(code, message ?? defaultMessage, status, extra);
}

/** Maps anything thrown while serving a request to the S3 error the client should see. */
export function toS3Error(err: unknown, ctx: { bucket?: string; key?: string }): AwsError {
  if (err instanceof AwsError) return err;
  if (err instanceof StoreError) {
    const extra: Record<string, unknown> = {};
    if (err.code === 'NoSuchKey') extra.Key = ctx.key;
    if (err.code !== 'InvalidRange' && err.code !== 'ServiceUnavailable') extra.BucketName = ctx.bucket;
    return s3Error(err.code, extra);
  }
  return s3Error('InternalError');
}
