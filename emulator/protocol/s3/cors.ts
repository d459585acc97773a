import type { IncomingMessage } from 'node:http';
import type { Database } from '../../storage/database.js';
import { bucketOf, header, type S3Context } from './context.js';
import { s3Error } from './errors.js';
import { readSmallPayload } from './payload.js';
import { sendEmpty, sendXml } from './respond.js';
import { buildXml, parseXml } from './xml.js';

/**
 * Bucket CORS configurations (PutBucketCors / GetBucketCors / DeleteBucketCors) and their use:
 * a browser request from another site reaches S3 only when a rule of its bucket allows its origin,
 * method and headers, as S3 evaluates them:
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html
 */
export interface CorsRule {
  ID?: string;
  AllowedOrigins: string[];
  AllowedMethods: string[];
  AllowedHeaders: string[];
  ExposeHeaders: string[];
  MaxAgeSeconds?: number;
}

/** Where configurations live: the emulator's SQLite state, beside every other resource. */
export class BucketCorsStore {
  private static readonly scope = { accountId: 's3', region: 'global' };
  private static readonly kind = 's3-bucket-cors';
  constructor(private readonly db: Database) {}
  get(bucket: string): CorsRule[] | undefined {
    return this.db.get<CorsRule[]>(BucketCorsStore.scope, BucketCorsStore.kind, bucket)?.data;
  }
  put(bucket: string, rules: CorsRule[]): void {
    if (!this.db.insert(BucketCorsStore.scope, BucketCorsStore.kind, bucket, `arn:aws:s3:::${bucket}?cors`, rules)) this.db.update(BucketCorsStore.scope, BucketCorsStore.kind, bucket, rules);
  }
  delete(bucket: string): void {
    this.db.delete(BucketCorsStore.scope, BucketCorsStore.kind, bucket);
  }
}

const METHODS = new Set(['GET', 'PUT', 'HEAD', 'POST', 'DELETE']);
const MAX_RULES = 100;

const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const texts = (v: unknown): string[] => list(v).map((x) => (typeof x === 'object' ? '' : String(x).trim()));

export async function putBucketCors(ctx: S3Context, cors: BucketCorsStore): Promise<void> {
  const bucket = bucketOf(ctx);
  if (!(await ctx.store.bucketExists(bucket))) throw s3Error('NoSuchBucket', { BucketName: bucket });
  const doc = parseXml((await readSmallPayload(ctx.req, 64 * 1024)).toString('utf8'), 'CORSConfiguration');
  const rules = list(doc.CORSRule).map((r): CorsRule => {
    const o = (r && typeof r === 'object' ? r : {}) as Record<string, unknown>;
    const age = texts(o.MaxAgeSeconds)[0];
    return {
      ID: texts(o.ID)[0],
      AllowedOrigins: texts(o.AllowedOrigin),
      AllowedMethods: texts(o.AllowedMethod),
      AllowedHeaders: texts(o.AllowedHeader),
      ExposeHeaders: texts(o.ExposeHeader),
      MaxAgeSeconds: age !== undefined && /^\d{1,9}$/.test(age) ? Number(age) : undefined,
    };
  });
  if (rules.length === 0 || rules.length > MAX_RULES) throw s3Error('MalformedXML');
  for (const rule of rules) {
    if (!rule.AllowedOrigins.length || !rule.AllowedMethods.length) throw s3Error('MalformedXML');
    for (const m of rule.AllowedMethods) {
      if (!METHODS.has(m)) throw s3Error('InvalidRequest', {}, `Found unsupported HTTP method in CORS config. Unsupported method is ${m}`);
    }
    for (const o of rule.AllowedOrigins) {
      if ((o.match(/\*/g) ?? []).length > 1) throw s3Error('InvalidRequest', {}, `AllowedOrigin "${o}" can not have more than one wildcard.`);
    }
  }
  cors.put(bucket, rules);
  sendEmpty(ctx, 200);
}

export async function getBucketCors(ctx: S3Context, cors: BucketCorsStore): Promise<void> {
  const bucket = bucketOf(ctx);
  if (!(await ctx.store.bucketExists(bucket))) throw s3Error('NoSuchBucket', { BucketName: bucket });
  const rules = cors.get(bucket);
  if (!rules) throw s3Error('NoSuchCORSConfiguration', { BucketName: bucket }, 'The CORS configuration does not exist');
  const xml = buildXml('CORSConfiguration', {
    CORSRule: rules.map((r) => ({
      ID: r.ID,
      AllowedHeader: r.AllowedHeaders,
      AllowedMethod: r.AllowedMethods,
      AllowedOrigin: r.AllowedOrigins,
      ExposeHeader: r.ExposeHeaders,
      MaxAgeSeconds: r.MaxAgeSeconds,
    })),
  });
  sendXml(ctx, 200, xml);
}

export async function deleteBucketCors(ctx: S3Context, cors: BucketCorsStore): Promise<void> {
  const bucket = bucketOf(ctx);
  if (!(await ctx.store.bucketExists(bucket))) throw s3Error('NoSuchBucket', { BucketName: bucket });
  cors.delete(bucket);
  sendEmpty(ctx, 204);
}

/** `*` matches any run of characters; everything else literally, case-sensitively for origins. */
function wildcard(pattern: string, value: string, ignoreCase = false): boolean {
  const star = pattern.indexOf('*');
  const [p, v] = ignoreCase ? [pattern.toLowerCase(), value.toLowerCase()] : [pattern, value];
  if (star < 0) return p === v;
  const head = p.slice(0, star);
  const tail = p.slice(star + 1);
  return v.length >= head.length + tail.length && v.startsWith(head) && v.endsWith(tail);
}

/** The first rule that allows this origin, method and every requested header, as S3 picks it. */
export function matchRule(rules: CorsRule[] | undefined, origin: string, method: string, requestHeaders: string[]): CorsRule | undefined {
  return rules?.find(
    (r) =>
      r.AllowedOrigins.some((o) => wildcard(o, origin)) &&
      r.AllowedMethods.includes(method) &&
      requestHeaders.every((h) => r.AllowedHeaders.some((a) => wildcard(a, h, true))),
  );
}

const FORBIDDEN_CORS = 'CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource\'s CORS spec.';

/** An OPTIONS preflight: 200 with the rule's grants, or 403 as S3 answers. */
export async function preflight(ctx: S3Context, cors: BucketCorsStore): Promise<void> {
  const origin = header(ctx, 'origin');
  const method = header(ctx, 'access-control-request-method');
  if (!origin || !method) throw s3Error('BadRequest', {}, 'Insufficient information. Origin request header needed.');
  const bucket = bucketOf(ctx);
  const rules = cors.get(bucket);
  if (!rules) throw s3Error('AccessForbidden', { Method: method, ResourceType: 'BUCKET' }, 'CORSResponse: CORS is not enabled for this bucket.');
  const requested = (header(ctx, 'access-control-request-headers') ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean);
  const rule = matchRule(rules, origin, method, requested);
  if (!rule) throw s3Error('AccessForbidden', { Method: method, ResourceType: ctx.key !== undefined ? 'OBJECT' : 'BUCKET' }, FORBIDDEN_CORS);
  sendEmpty(ctx, 200, {
    'Access-Control-Allow-Origin': rule.AllowedOrigins.includes('*') ? '*' : origin,
    'Access-Control-Allow-Methods': rule.AllowedMethods.join(', '),
    'Access-Control-Allow-Headers': requested.length ? requested.join(', ') : undefined,
    'Access-Control-Expose-Headers': rule.ExposeHeaders.length ? rule.ExposeHeaders.join(', ') : undefined,
    'Access-Control-Max-Age': rule.MaxAgeSeconds,
    'Access-Control-Allow-Credentials': rule.AllowedOrigins.includes('*') ? undefined : 'true',
    Vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
  });
}

/**
 * A cross-site browser request for an S3 operation: allowed, with the CORS response headers set,
 * only when a rule of the bucket allows it; otherwise refused before the operation runs.
 */
export function admitCrossSite(ctx: S3Context, cors: BucketCorsStore, req: IncomingMessage): void {
  const origin = header(ctx, 'origin') ?? '';
  const method = (req.method ?? 'GET').toUpperCase();
  const rule = ctx.bucket !== undefined && origin ? matchRule(cors.get(ctx.bucket), origin, method, []) : undefined;
  if (!rule) throw s3Error('AccessForbidden', { Method: method, ResourceType: ctx.key !== undefined ? 'OBJECT' : 'BUCKET' }, FORBIDDEN_CORS);
  ctx.res.setHeader('Access-Control-Allow-Origin', rule.AllowedOrigins.includes('*') ? '*' : origin);
  if (!rule.AllowedOrigins.includes('*')) ctx.res.setHeader('Access-Control-Allow-Credentials', 'true');
  if (rule.ExposeHeaders.length) ctx.res.setHeader('Access-Control-Expose-Headers', rule.ExposeHeaders.join(', '));
  ctx.res.setHeader('Vary', 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method');
}
