import { createHash } from 'node:crypto';
import type { AwsError } from '../errors.js';
import type { ObjectInfo } from '../../storage/object-store.js';
import { checksumHeader, parseAlgorithm } from './checksums.js';
import type { S3Context } from './context.js';
import { buildXml } from './xml.js';

/** Node refuses header values with control or non-latin1 characters; such values are dropped. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

export function setHeaders(ctx: S3Context, headers: Record<string, string | number | undefined>): void {
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const text = String(value);
    if (HEADER_VALUE.test(text)) ctx.res.setHeader(name, text);
  }
}

function baseHeaders(ctx: S3Context): Record<string, string> {
  return {
    'x-amz-request-id': ctx.requestId,
    'x-amz-id-2': createHash('sha256').update(ctx.requestId).digest('base64'),
    Server: 'AmazonS3',
  };
}

export function sendXml(ctx: S3Context, status: number, xml: string, headers: Record<string, string | number | undefined> = {}): void {
  const body = Buffer.from(xml, 'utf8');
  setHeaders(ctx, { ...baseHeaders(ctx), ...headers, 'Content-Type': 'application/xml', 'Content-Length': body.length });
  ctx.res.statusCode = status;
  ctx.res.end(body);
}

export function sendEmpty(ctx: S3Context, status: number, headers: Record<string, string | number | undefined> = {}): void {
  setHeaders(ctx, { ...baseHeaders(ctx), ...headers, 'Content-Length': 0 });
  ctx.res.statusCode = status;
  ctx.res.end();
}

/** Starts a streamed response (GetObject). */
export function startStream(ctx: S3Context, status: number, headers: Record<string, string | number | undefined>): void {
  setHeaders(ctx, { ...baseHeaders(ctx), ...headers });
  ctx.res.statusCode = status;
}

/** S3's error document; HEAD responses carry only the status, as S3's do. */
export function sendError(ctx: S3Context, err: AwsError): void {
  const { res } = ctx;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  if (ctx.req.method === 'HEAD') {
    sendEmpty(ctx, err.status, err.headers);
    return;
  }
  const xml = buildXml(
    'Error',
    {
      Code: err.code,
      Message: err.message,
      ...(err.extra as Record<string, string | number | undefined>),
      RequestId: ctx.requestId,
      HostId: createHash('sha256').update(ctx.requestId).digest('base64'),
    },
    false,
  );
  sendXml(ctx, err.status, xml, err.headers);
}

export const httpDate = (d: Date) => d.toUTCString();

/** Checksum headers of an object (x-amz-checksum-crc32: ...). */
export function checksumHeaders(checksums: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(checksums ?? {})) {
    const alg = parseAlgorithm(name);
    if (!alg) continue;
    out[checksumHeader(alg)] = value;
    out['x-amz-checksum-type'] = value.includes('-') ? 'COMPOSITE' : 'FULL_OBJECT';
  }
  return out;
}

/** The headers GetObject and HeadObject describe an object with. */
export function objectHeaders(info: ObjectInfo, withChecksums: boolean): Record<string, string | number | undefined> {
  const headers: Record<string, string | number | undefined> = {
    ETag: info.etag,
    'Last-Modified': httpDate(info.lastModified),
    'Content-Type': info.contentType ?? 'binary/octet-stream',
    'Accept-Ranges': 'bytes',
  };
  for (const [k, v] of Object.entries(info.metadata ?? {})) headers[`x-amz-meta-${k.toLowerCase()}`] = v;
  if (withChecksums) Object.assign(headers, checksumHeaders(info.checksums));
  return headers;
}
