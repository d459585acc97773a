import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { AwsError } from './errors.js';

/**
 * Optional Signature Version 4 verification (`--auth sigv4`), as AWS checks requests:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 * The Authorization header or a presigned query string (X-Amz-Signature), the canonical request
 * rebuilt from what arrived, the 15-minute clock skew, and each front end's own error codes:
 * S3 answers in its XML (InvalidAccessKeyId, SignatureDoesNotMatch, AccessDenied,
 * RequestTimeTooSkewed), the query protocol SignatureDoesNotMatch / RequestExpired, the JSON
 * services UnrecognizedClientException / InvalidSignatureException / IncompleteSignature.
 */
export type AuthFlavour = 's3' | 'query' | 'json';

/**
 * What verifying an `aws-chunked` body signed per chunk needs: each chunk's signature chains from
 * the previous one, starting at the request's (seed) signature.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
 */
export interface ChunkSigning {
  signingKey: Buffer;
  amzDate: string;
  scope: string;
  seedSignature: string;
}

const chunkSignings = new WeakMap<IncomingMessage, ChunkSigning>();

/** The chunk-signing context of a verified S3 request whose body is signed per chunk. */
export function chunkSigningFor(req: IncomingMessage): ChunkSigning | undefined {
  return chunkSignings.get(req);
}

const EMPTY_SHA256 = createHash('sha256').digest('hex');

/** The signature of one chunk (`AWS4-HMAC-SHA256-PAYLOAD`) given the previous signature. */
export function chunkSignature(s: ChunkSigning, previous: string, chunkSha256Hex: string): string {
  const toSign = `AWS4-HMAC-SHA256-PAYLOAD\n${s.amzDate}\n${s.scope}\n${previous}\n${EMPTY_SHA256}\n${chunkSha256Hex}`;
  return createHmac('sha256', s.signingKey).update(toSign, 'utf8').digest('hex');
}

/** The signature of the trailing headers (`AWS4-HMAC-SHA256-TRAILER`). */
export function trailerSignature(s: ChunkSigning, previous: string, trailerText: string): string {
  const toSign = `AWS4-HMAC-SHA256-TRAILER\n${s.amzDate}\n${s.scope}\n${previous}\n${createHash('sha256').update(trailerText, 'utf8').digest('hex')}`;
  return createHmac('sha256', s.signingKey).update(toSign, 'utf8').digest('hex');
}

export interface Authenticator {
  /**
   * Throws the AWS error for a request whose signature does not verify. `payloadHash` is the hex
   * SHA-256 of the body, or the x-amz-content-sha256 value S3 clients send (S3 checks that value
   * against the body as it streams).
   */
  verify(req: IncomingMessage, flavour: AuthFlavour, payloadHash: string): void;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const MAX_SKEW_MS = 15 * 60 * 1000;
const MISMATCH = 'The request signature we calculated does not match the signature you provided. Check your key and signing method.';

/**
 * `id:secret,id:secret` as --access-keys takes them, or `@<file>`: a file with one `id:secret`
 * per line (blank lines and `#` comments skipped), which keeps secrets out of the process list.
 */
export function parseAccessKeys(text: string, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): Map<string, string> {
  const keys = new Map<string, string>();
  const source = text.trim().startsWith('@')
    ? readFile(text.trim().slice(1)).split('\n').filter((l) => !l.trim().startsWith('#')).join(',')
    : text;
  for (const pair of source.split(',').map((p) => p.trim()).filter(Boolean)) {
    const colon = pair.indexOf(':');
    if (colon <= 0 || colon === pair.length - 1) throw new Error(`--access-keys: '${pair}' is not <access key id>:<secret access key>`);
    keys.set(pair.slice(0, colon), pair.slice(colon + 1));
  }
  return keys;
}

/** RFC 3986 encoding as SigV4 wants it: everything but A-Z a-z 0-9 - _ . ~ is %XX (upper case). */
function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

interface Parsed {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  presigned: boolean;
  expiresSeconds?: number;
}

export function createSigV4Authenticator(keys: Map<string, string>, now: () => number = Date.now): Authenticator {
  function fail(flavour: AuthFlavour, kind: 'missing' | 'incomplete' | 'unknown-key' | 'mismatch' | 'skew' | 'expired', detail = ''): never {
    if (flavour === 's3') {
      switch (kind) {
        case 'missing':
        case 'expired':
          throw new AwsError('AccessDenied', kind === 'expired' ? 'Request has expired' : 'Access Denied', 403);
        case 'incomplete':
          throw new AwsError('AuthorizationHeaderMalformed', `The authorization header is malformed; ${detail}`, 400);
        case 'unknown-key':
          throw new AwsError('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', 403);
        case 'skew':
          throw new AwsError('RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.', 403);
        default:
          throw new AwsError('SignatureDoesNotMatch', MISMATCH, 403);
      }
    }
    switch (kind) {
      case 'missing':
        throw new AwsError(flavour === 'query' ? 'MissingAuthenticationToken' : 'MissingAuthenticationTokenException', 'Request is missing Authentication Token', 403);
      case 'incomplete':
        throw new AwsError('IncompleteSignature', detail, 400);
      case 'unknown-key':
        throw new AwsError(flavour === 'query' ? 'InvalidClientTokenId' : 'UnrecognizedClientException', 'The security token included in the request is invalid.', 403);
      case 'skew':
      case 'expired':
        if (flavour === 'query') throw new AwsError('RequestExpired', `Request has expired. ${detail}`.trim(), 400);
        throw new AwsError('InvalidSignatureException', `Signature expired: ${detail}`, 400);
      default:
        throw new AwsError(flavour === 'query' ? 'SignatureDoesNotMatch' : 'InvalidSignatureException', MISMATCH, 403);
    }
  }

  function parse(req: IncomingMessage, query: URLSearchParams, flavour: AuthFlavour): Parsed {
    const header = req.headers.authorization;
    if (header !== undefined) {
      if (!header.startsWith(`${ALGORITHM} `)) fail(flavour, 'incomplete', `Unsupported authorization type: ${header.split(' ')[0].slice(0, 64)}`);
      const fields = new Map<string, string>();
      for (const part of header.slice(ALGORITHM.length + 1).split(',')) {
        const eq = part.indexOf('=');
        if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
      }
      const missing = ['Credential', 'SignedHeaders', 'Signature'].filter((f) => !fields.get(f));
      if (missing.length) fail(flavour, 'incomplete', missing.map((f) => `Authorization header requires '${f}' parameter.`).join(' '));
      const amzDate = String(req.headers['x-amz-date'] ?? '');
      if (!/^\d{8}T\d{6}Z$/.test(amzDate)) fail(flavour, 'incomplete', "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
      return { ...credential(fields.get('Credential')!, flavour), signedHeaders: fields.get('SignedHeaders')!.split(';'), signature: fields.get('Signature')!, amzDate, presigned: false };
    }
    if (query.has('X-Amz-Signature') || query.has('X-Amz-Credential')) {
      const missing = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-SignedHeaders', 'X-Amz-Signature'].filter((f) => !query.get(f));
      if (missing.length) fail(flavour, 'incomplete', `Query-string authentication requires the ${missing.join(', ')} parameter${missing.length > 1 ? 's' : ''}.`);
      if (query.get('X-Amz-Algorithm') !== ALGORITHM) fail(flavour, 'incomplete', 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
      const amzDate = query.get('X-Amz-Date')!;
      if (!/^\d{8}T\d{6}Z$/.test(amzDate)) fail(flavour, 'incomplete', 'X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd\'T\'HHmmss\'Z\'"');
      const expires = Number(query.get('X-Amz-Expires') ?? '604800');
      if (!Number.isInteger(expires) || expires < 1 || expires > 604800) fail(flavour, 'incomplete', 'X-Amz-Expires must be between 1 and 604800 seconds.');
      return { ...credential(query.get('X-Amz-Credential')!, flavour), signedHeaders: query.get('X-Amz-SignedHeaders')!.split(';'), signature: query.get('X-Amz-Signature')!, amzDate, presigned: true, expiresSeconds: expires };
    }
    fail(flavour, 'missing');
  }

  function credential(text: string, flavour: AuthFlavour): Pick<Parsed, 'accessKeyId' | 'date' | 'region' | 'service'> {
    const parts = text.split('/');
    if (parts.length !== 5 || parts[4] !== 'aws4_request' || !/^\d{8}$/.test(parts[1])) fail(flavour, 'incomplete', `Credential should be scoped to a valid region, service and date: '${text.slice(0, 256)}'.`);
    return { accessKeyId: parts[0], date: parts[1], region: parts[2], service: parts[3] };
  }

  function canonicalPath(rawPath: string, flavour: AuthFlavour): string {
    const segments = rawPath.split('/').map(safeDecode);
    // S3 signs the path as sent; every other service signs it URI-encoded once more.
    const once = segments.map(uriEncode).join('/');
    return flavour === 's3' ? once || '/' : once.split('/').map(uriEncode).join('/') || '/';
  }

  return {
    verify(req, flavour, payloadHash) {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const rawPath = (q < 0 ? url : url.slice(0, q)).replace(/^[a-z]+:\/\/[^/]*/i, '') || '/';
      const rawQuery = q < 0 ? '' : url.slice(q + 1);
      const query = new URLSearchParams(rawQuery);
      const p = parse(req, query, flavour);
      const secret = keys.get(p.accessKeyId);
      if (secret === undefined) fail(flavour, 'unknown-key');
      const signedAt = Date.UTC(+p.amzDate.slice(0, 4), +p.amzDate.slice(4, 6) - 1, +p.amzDate.slice(6, 8), +p.amzDate.slice(9, 11), +p.amzDate.slice(11, 13), +p.amzDate.slice(13, 15));
      const nowMs = now();
      if (p.presigned) {
        if (nowMs > signedAt + p.expiresSeconds! * 1000) fail(flavour, 'expired', `${p.amzDate} + ${p.expiresSeconds} s is earlier than now.`);
        if (signedAt - nowMs > MAX_SKEW_MS) fail(flavour, 'skew', `${p.amzDate} is more than 15 minutes ahead.`);
      } else if (Math.abs(nowMs - signedAt) > MAX_SKEW_MS) {
        const stamp = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
        fail(flavour, 'skew', `${p.amzDate} is now earlier than ${stamp(nowMs - MAX_SKEW_MS)} (${stamp(nowMs)} - 15 min.)`);
      }
      if (p.date !== p.amzDate.slice(0, 8)) fail(flavour, 'mismatch');

      // Canonical query: every parameter but the signature, encoded and sorted by name, then value.
      const pairs: [string, string][] = [];
      for (const part of rawQuery.split('&')) {
        if (!part) continue;
        const eq = part.indexOf('=');
        const name = safeDecode((eq < 0 ? part : part.slice(0, eq)).replace(/\+/g, flavour === 's3' ? '+' : ' '));
        const value = eq < 0 ? '' : safeDecode(part.slice(eq + 1));
        if (p.presigned && name === 'X-Amz-Signature') continue;
        pairs.push([uriEncode(name), uriEncode(value)]);
      }
      pairs.sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
      const headers = p.signedHeaders.map((name) => {
        const v = req.headers[name];
        const text = name === 'host' && v === undefined ? '' : Array.isArray(v) ? v.join(',') : String(v ?? '');
        return `${name}:${text.trim().replace(/\s+/g, ' ')}\n`;
      });
      if (!p.signedHeaders.includes('host')) fail(flavour, 'mismatch');
      const hash = p.presigned && flavour === 's3' ? 'UNSIGNED-PAYLOAD' : payloadHash;
      const canonical = [req.method ?? 'GET', canonicalPath(rawPath, flavour), pairs.map(([k, v]) => `${k}=${v}`).join('&'), headers.join(''), p.signedHeaders.join(';'), hash].join('\n');
      const scope = `${p.date}/${p.region}/${p.service}/aws4_request`;
      const toSign = `${ALGORITHM}\n${p.amzDate}\n${scope}\n${sha256Hex(canonical)}`;
      const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, p.date), p.region), p.service), 'aws4_request');
      const expected = Buffer.from(createHmac('sha256', key).update(toSign, 'utf8').digest('hex'));
      const given = Buffer.from(p.signature);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) fail(flavour, 'mismatch');
      if (flavour === 's3' && payloadHash.startsWith('STREAMING-AWS4-HMAC-SHA256-PAYLOAD')) {
        chunkSignings.set(req, { signingKey: key, amzDate: p.amzDate, scope, seedSignature: p.signature });
      }
    },
  };
}

/** The hex SHA-256 of a body (what non-S3 clients sign). */
export const payloadSha256 = (body: Buffer) => sha256Hex(body);
