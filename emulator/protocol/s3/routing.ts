import type { IncomingMessage } from 'node:http';
import { s3Error } from './errors.js';

/** What an S3 request addresses: path-style `/bucket/key` or virtual-host `bucket.localhost/key`. */
export interface S3Address {
  bucket?: string;
  key?: string;
  query: URLSearchParams;
}

// `<bucket>[.s3[.<region>|-<region>]].localhost[.localstack.cloud]`; the bucket may contain dots.
const VIRTUAL_HOST = /^(.+?)(?:\.s3(?:[.-][a-z0-9-]+)?)?\.(?:localhost\.localstack\.cloud|localhost)$/;

/** The bucket named by the Host header, if the request is virtual-host style. */
export function bucketFromHost(hostHeader: string | undefined): string | undefined {
  if (!hostHeader) return undefined;
  const host = hostHeader.replace(/:\d+$/, '').toLowerCase();
  const m = VIRTUAL_HOST.exec(host);
  if (!m) return undefined;
  const bucket = m[1];
  const first = bucket.split('.')[0];
  // `s3.localhost`, `127.x.localhost` and the like name the service, not a bucket.
  if (bucket === 's3' || first === 'localhost' || first === '127' || /^\d+(\.\d+){3}$/.test(bucket)) return undefined;
  return bucket;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw s3Error('InvalidURI');
  }
}

/**
 * Splits the raw request target by hand: WHATWG URL parsing would resolve `..` and `.`
 * segments, which are legal parts of S3 keys.
 */
export function resolveAddress(req: IncomingMessage): S3Address {
  let target = req.url ?? '/';
  const absolute = /^[a-z]+:\/\/[^/]*/i.exec(target);
  if (absolute) target = target.slice(absolute[0].length) || '/';
  const q = target.indexOf('?');
  const rawPath = q === -1 ? target : target.slice(0, q);
  const query = new URLSearchParams(q === -1 ? '' : target.slice(q + 1));
  const path = rawPath.startsWith('/') ? rawPath.slice(1) : rawPath;

  const hostBucket = bucketFromHost(req.headers.host);
  if (hostBucket) return { bucket: hostBucket, key: path === '' ? undefined : decode(path), query };

  if (path === '') return { query };
  const slash = path.indexOf('/');
  if (slash === -1) return { bucket: decode(path), query };
  const rest = path.slice(slash + 1);
  return { bucket: decode(path.slice(0, slash)), key: rest === '' ? undefined : decode(rest), query };
}
