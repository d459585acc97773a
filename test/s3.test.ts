import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import * as Minio from 'minio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Handler } from '../emulator/protocol/s3/handler.js';
import { FsObjectStore } from '../emulator/storage/fs-object-store.js';
import { MinioObjectStore } from '../emulator/storage/minio-object-store.js';
import { listAll, readObject, StoreError, type ObjectStore } from '../emulator/storage/object-store.js';

const MiB = 1024 * 1024;
const tmpRoots: string[] = [];
function tmp(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `localsage-${prefix}-`));
  tmpRoots.push(dir);
  return dir;
}

/**
 * The S3 API under test: the full emulator when it starts (the real routing path), else the S3
 * handler alone on a plain HTTP server. LOCALSAGE_S3_TEST_STANDALONE=1 forces the latter.
 */
interface Target {
  url: string;
  port: number;
  mode: string;
  close(): Promise<void>;
}

async function startStandalone(): Promise<Target> {
  const data = tmp('s3-data');
  const server = http.createServer(
    createS3Handler({
      store: new FsObjectStore(join(data, 's3')),
      dataDir: data,
      defaults: { region: 'us-east-1', accountId: '000000000000' },
    }),
  );
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    mode: 'standalone S3 handler',
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

async function startTarget(): Promise<Target> {
  if (process.env.LOCALSAGE_S3_TEST_STANDALONE !== '1') {
    try {
      const { startEmulator } = await import('../emulator/server.js');
      const emu = await startEmulator({ port: 0, host: '127.0.0.1', dataDir: tmp('emu'), quiet: true });
      return { url: emu.url, port: emu.port, mode: 'full emulator', close: () => emu.close() };
    } catch (err) {
      console.warn(`s3.test: the full emulator did not start (${(err as Error).message}); testing the S3 handler alone`);
    }
  }
  return startStandalone();
}

let target: Target;
let s3: S3Client;
/** Headers of the last request the SDK sent, as signed and framed. */
let lastRequestHeaders: Record<string, string> = {};

function client(opts: { forcePathStyle?: boolean; endpoint?: string; agent?: http.Agent } = {}): S3Client {
  const c = new S3Client({
    endpoint: opts.endpoint ?? target.url,
    region: 'us-east-1',
    forcePathStyle: opts.forcePathStyle ?? true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
    ...(opts.agent ? { requestHandler: { httpAgent: opts.agent } } : {}),
  });
  c.middlewareStack.add(
    (next) => async (args) => {
      lastRequestHeaders = { ...((args.request as { headers?: Record<string, string> }).headers ?? {}) };
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: 'recordHeaders' },
  );
  return c;
}

/** Expects an S3 error with this exact code and HTTP status. */
async function expectS3Error(p: Promise<unknown>, code: string, status: number): Promise<S3ServiceException> {
  try {
    await p;
  } catch (err) {
    const e = err as S3ServiceException;
    expect({ name: e.name, status: e.$metadata?.httpStatusCode }).toEqual({ name: code, status });
    return e;
  }
  throw new Error(`expected ${code}, but the call succeeded`);
}

/** A raw HTTP request, for what SDKs will not send (bad framing, aborted bodies, odd headers). */
function raw(
  method: string,
  path: string,
  opts: { headers?: Record<string, string | number>; body?: Buffer | string; host?: string } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: target.port, method, path, headers: { ...(opts.host ? { host: opts.host } : {}), ...opts.headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

const md5hex = (b: Buffer | string) => createHash('md5').update(b).digest('hex');
const body = async (out: { Body?: unknown }) =>
  Buffer.from(await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());

beforeAll(async () => {
  target = await startTarget();
  console.log(`s3.test: running against the ${target.mode} at ${target.url}`);
  s3 = client();
});

afterAll(async () => {
  s3?.destroy();
  await target?.close();
  for (const dir of tmpRoots) rmSync(dir, { recursive: true, force: true });
});

describe('S3 API: buckets', () => {
  it('creates, heads, lists, locates and deletes buckets', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'bucket-basics' }));
    await s3.send(new HeadBucketCommand({ Bucket: 'bucket-basics' }));
    const list = await s3.send(new ListBucketsCommand({}));
    expect(list.Buckets?.map((b) => b.Name)).toContain('bucket-basics');
    expect(list.Owner?.ID).toMatch(/^[0-9a-f]{64}$/);
    const loc = await s3.send(new GetBucketLocationCommand({ Bucket: 'bucket-basics' }));
    expect(loc.LocationConstraint ?? '').toBe('');

    await s3.send(new CreateBucketCommand({ Bucket: 'bucket-west', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
    const west = await s3.send(new GetBucketLocationCommand({ Bucket: 'bucket-west' }));
    expect(west.LocationConstraint).toBe('eu-west-1');

    // S3's legacy us-east-1 rule: re-creating your own bucket there is a 200; elsewhere a 409.
    await s3.send(new CreateBucketCommand({ Bucket: 'bucket-basics' }));
    await expectS3Error(
      s3.send(new CreateBucketCommand({ Bucket: 'bucket-west', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } })),
      'BucketAlreadyOwnedByYou',
      409,
    );
    await s3.send(new DeleteBucketCommand({ Bucket: 'bucket-basics' }));
    await expectS3Error(s3.send(new HeadBucketCommand({ Bucket: 'bucket-basics' })), 'NotFound', 404);
    await expectS3Error(s3.send(new DeleteBucketCommand({ Bucket: 'bucket-basics' })), 'NoSuchBucket', 404);
  });

  it('validates bucket names', async () => {
    for (const bad of ['ab', 'Upper-Case', 'under_score', '-leading', 'a..b', '192.168.1.1', 'x'.repeat(64)]) {
      const res = await raw('PUT', `/${bad}`);
      expect(res.status, bad).toBe(400);
      expect(res.body).toContain('<Code>InvalidBucketName</Code>');
    }
  });

  it('refuses to delete a bucket that is not empty', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'bucket-full' }));
    await s3.send(new PutObjectCommand({ Bucket: 'bucket-full', Key: 'x', Body: 'x' }));
    await expectS3Error(s3.send(new DeleteBucketCommand({ Bucket: 'bucket-full' })), 'BucketNotEmpty', 409);
    await s3.send(new DeleteObjectCommand({ Bucket: 'bucket-full', Key: 'x' }));
    await s3.send(new DeleteBucketCommand({ Bucket: 'bucket-full' }));
  });
});

describe('S3 API: objects', () => {
  const B = 'bucket-objects';
  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: B }));
  });

  it('puts, gets, heads and deletes with metadata', async () => {
    const key = 'dir/sub dir/ünïcode+plus%percent ../x.txt';
    const put = await s3.send(
      new PutObjectCommand({ Bucket: B, Key: key, Body: 'hello world', ContentType: 'text/plain', Metadata: { owner: 'me', 'multi-word': 'a b' } }),
    );
    expect(put.ETag).toBe(`"${md5hex('hello world')}"`);
    const got = await s3.send(new GetObjectCommand({ Bucket: B, Key: key }));
    expect((await body(got)).toString()).toBe('hello world');
    expect(got.ContentType).toBe('text/plain');
    expect(got.ContentLength).toBe(11);
    expect(got.ETag).toBe(put.ETag);
    expect(got.Metadata).toEqual({ owner: 'me', 'multi-word': 'a b' });
    expect(got.AcceptRanges).toBe('bytes');
    expect(got.LastModified).toBeInstanceOf(Date);
    const head = await s3.send(new HeadObjectCommand({ Bucket: B, Key: key }));
    expect(head.ContentLength).toBe(11);
    expect(head.ETag).toBe(put.ETag);

    await s3.send(new DeleteObjectCommand({ Bucket: B, Key: key }));
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: B, Key: key })), 'NoSuchKey', 404);
    // Deleting what is not there is still a success, as on S3.
    const again = await s3.send(new DeleteObjectCommand({ Bucket: B, Key: key }));
    expect(again.$metadata.httpStatusCode).toBe(204);
  });

  it('keeps awkward keys apart and in their own bucket', async () => {
    const keys = ['folder/', 'a/../b', './c', '..', 'trailing space ', ' leading', 'x'.repeat(1024), '😀/emoji', 'tab\there'];
    for (const key of keys) await s3.send(new PutObjectCommand({ Bucket: B, Key: key, Body: `v:${key}` }));
    for (const key of keys) {
      expect((await body(await s3.send(new GetObjectCommand({ Bucket: B, Key: key })))).toString()).toBe(`v:${key}`);
    }
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: B }));
    expect(listed.Contents?.map((o) => o.Key).sort()).toEqual([...keys].sort());
    await expectS3Error(s3.send(new PutObjectCommand({ Bucket: B, Key: 'y'.repeat(1025), Body: 'x' })), 'KeyTooLongError', 400);
    await s3.send(new DeleteObjectsCommand({ Bucket: B, Delete: { Objects: keys.map((Key) => ({ Key })) } }));
  });

  it('serves byte ranges', async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'range', Body: '0123456789' }));
    const mid = await s3.send(new GetObjectCommand({ Bucket: B, Key: 'range', Range: 'bytes=2-5' }));
    expect(mid.$metadata.httpStatusCode).toBe(206);
    expect(mid.ContentRange).toBe('bytes 2-5/10');
    expect((await body(mid)).toString()).toBe('2345');
    const open = await s3.send(new GetObjectCommand({ Bucket: B, Key: 'range', Range: 'bytes=7-' }));
    expect((await body(open)).toString()).toBe('789');
    const suffix = await s3.send(new GetObjectCommand({ Bucket: B, Key: 'range', Range: 'bytes=-3' }));
    expect((await body(suffix)).toString()).toBe('789');
    const clamped = await s3.send(new GetObjectCommand({ Bucket: B, Key: 'range', Range: 'bytes=8-100' }));
    expect(clamped.ContentRange).toBe('bytes 8-9/10');
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: B, Key: 'range', Range: 'bytes=10-' })), 'InvalidRange', 416);
    const rawRes = await raw('GET', `/${B}/range`, { headers: { range: 'bytes=20-30' } });
    expect(rawRes.status).toBe(416);
    expect(rawRes.headers['content-range']).toBe('bytes */10');
    expect(rawRes.body).toContain('<Code>InvalidRange</Code>');
  });

  it('answers conditional requests', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: B, Key: 'cond', Body: 'c' }));
    const res = await raw('GET', `/${B}/cond`, { headers: { 'if-none-match': put.ETag! } });
    expect(res.status).toBe(304);
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: B, Key: 'cond', IfMatch: '"nope"' })), 'PreconditionFailed', 412);
  });

  it('reports errors with S3 codes, statuses and bodies', async () => {
    const missing = await raw('GET', `/${B}/no/such/key`);
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toBe('application/xml');
    expect(missing.headers['x-amz-request-id']).toBeTruthy();
    expect(missing.body).toContain('<Code>NoSuchKey</Code>');
    expect(missing.body).toContain('<Message>The specified key does not exist.</Message>');
    expect(missing.body).toContain('<Key>no/such/key</Key>');
    expect(missing.body).toContain(`<BucketName>${B}</BucketName>`);
    expect(missing.body).toMatch(/<RequestId>[^<]+<\/RequestId>/);

    const head = await raw('HEAD', `/${B}/no/such/key`);
    expect(head.status).toBe(404);
    expect(head.body).toBe('');

    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: 'no-such-bucket', Key: 'k' })), 'NoSuchBucket', 404);
    await expectS3Error(s3.send(new PutObjectCommand({ Bucket: 'no-such-bucket', Key: 'k', Body: 'x' })), 'NoSuchBucket', 404);
    await expectS3Error(s3.send(new ListObjectsV2Command({ Bucket: 'no-such-bucket' })), 'NoSuchBucket', 404);

    const tagging = await raw('PUT', `/${B}/k?tagging`, { body: '<Tagging/>' });
    expect(tagging.status).toBe(501);
    expect(tagging.body).toContain('<Code>NotImplemented</Code>');
    const patch = await raw('PATCH', `/${B}/k`);
    expect(patch.status).toBe(405);
    expect(patch.body).toContain('<Code>MethodNotAllowed</Code>');
    const badXml = await raw('POST', `/${B}?delete`, { body: '<Delete><Object>' });
    expect(badXml.status).toBe(400);
    expect(badXml.body).toContain('<Code>MalformedXML</Code>');
    const badUri = await raw('GET', `/${B}/%E0%A4%A`);
    expect(badUri.status).toBe(400);
  });

  it('deletes many objects at once, quietly or not', async () => {
    for (const k of ['d1', 'd2', 'd3']) await s3.send(new PutObjectCommand({ Bucket: B, Key: k, Body: k }));
    const loud = await s3.send(new DeleteObjectsCommand({ Bucket: B, Delete: { Objects: [{ Key: 'd1' }, { Key: 'never-existed' }] } }));
    expect(loud.Deleted?.map((d) => d.Key).sort()).toEqual(['d1', 'never-existed']);
    expect(loud.Errors ?? []).toEqual([]);
    const quiet = await s3.send(new DeleteObjectsCommand({ Bucket: B, Delete: { Quiet: true, Objects: [{ Key: 'd2' }, { Key: 'd3' }] } }));
    expect(quiet.Deleted ?? []).toEqual([]);
    const left = await s3.send(new ListObjectsV2Command({ Bucket: B, Prefix: 'd' }));
    expect(left.KeyCount).toBe(0);
  });

  it('copies objects, keeping or replacing metadata', async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'src key+1', Body: 'copy me', ContentType: 'text/x-src', Metadata: { a: '1' } }));
    const copied = await s3.send(new CopyObjectCommand({ Bucket: B, Key: 'dst/copy', CopySource: `${B}/${encodeURIComponent('src key+1')}` }));
    expect(copied.CopyObjectResult?.ETag).toBe(`"${md5hex('copy me')}"`);
    const dst = await s3.send(new HeadObjectCommand({ Bucket: B, Key: 'dst/copy' }));
    expect(dst.Metadata).toEqual({ a: '1' });
    expect(dst.ContentType).toBe('text/x-src');

    await s3.send(
      new CopyObjectCommand({
        Bucket: B,
        Key: 'dst/replaced',
        CopySource: `/${B}/${encodeURIComponent('src key+1')}?versionId=null`,
        MetadataDirective: 'REPLACE',
        Metadata: { b: '2' },
        ContentType: 'text/x-new',
      }),
    );
    const replaced = await s3.send(new GetObjectCommand({ Bucket: B, Key: 'dst/replaced' }));
    expect(replaced.Metadata).toEqual({ b: '2' });
    expect(replaced.ContentType).toBe('text/x-new');
    expect((await body(replaced)).toString()).toBe('copy me');

    await expectS3Error(
      s3.send(new CopyObjectCommand({ Bucket: B, Key: 'src key+1', CopySource: `${B}/${encodeURIComponent('src key+1')}` })),
      'InvalidRequest',
      400,
    );
    await expectS3Error(s3.send(new CopyObjectCommand({ Bucket: B, Key: 'x', CopySource: `${B}/missing` })), 'NoSuchKey', 404);
  });

  it('never shows an object whose upload was aborted mid-stream', async () => {
    await new Promise<void>((resolve) => {
      const req = http.request({
        host: '127.0.0.1',
        port: target.port,
        method: 'PUT',
        path: `/${B}/aborted`,
        headers: { 'content-length': 4 * MiB },
      });
      req.on('error', () => resolve());
      req.write(Buffer.alloc(MiB, 1), () => setTimeout(() => {
        req.destroy();
        resolve();
      }, 100));
    });
    await new Promise((r) => setTimeout(r, 200));
    await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: B, Key: 'aborted' })), 'NotFound', 404);
    const list = await s3.send(new ListObjectsV2Command({ Bucket: B, Prefix: 'aborted' }));
    expect(list.KeyCount).toBe(0);
    // The server is still healthy afterwards.
    await s3.send(new PutObjectCommand({ Bucket: B, Key: 'after-abort', Body: 'ok' }));
  });
});

describe('S3 API: listing', () => {
  const B = 'bucket-listing';
  const keys = [
    ...Array.from({ length: 12 }, (_, i) => `logs/2024/${String(i).padStart(2, '0')}.log`),
    ...Array.from({ length: 5 }, (_, i) => `data/part-${i}`),
    'data/nested/x',
    'data/nested/y',
    'root.txt',
    'space key',
    'plus+key',
  ];
  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: B }));
    await Promise.all(keys.map((Key) => s3.send(new PutObjectCommand({ Bucket: B, Key, Body: Key }))));
  });

  it('paginates ListObjectsV2 with continuation tokens', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: B, MaxKeys: 4, ContinuationToken: token }));
      pages++;
      expect(page.KeyCount).toBe(page.Contents?.length ?? 0);
      seen.push(...(page.Contents ?? []).map((o) => o.Key!));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
      if (page.IsTruncated) expect(token).toBeTruthy();
    } while (token);
    expect(pages).toBe(Math.ceil(keys.length / 4));
    const byteOrder = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect(seen).toEqual(byteOrder);
  });

  it('rolls up common prefixes with a delimiter, across pages', async () => {
    const top = await s3.send(new ListObjectsV2Command({ Bucket: B, Delimiter: '/' }));
    expect(top.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['data/', 'logs/']);
    expect(top.Contents?.map((o) => o.Key)).toEqual(['plus+key', 'root.txt', 'space key']);

    const items: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: B, Prefix: 'data/', Delimiter: '/', MaxKeys: 2, ContinuationToken: token }));
      items.push(...(page.CommonPrefixes ?? []).map((p) => `P:${p.Prefix}`), ...(page.Contents ?? []).map((o) => o.Key!));
      token = page.NextContinuationToken;
    } while (token);
    expect(items.sort()).toEqual(['P:data/nested/', ...Array.from({ length: 5 }, (_, i) => `data/part-${i}`)].sort());
  });

  it('honours prefix, start-after and fetch-owner', async () => {
    const logs = await s3.send(new ListObjectsV2Command({ Bucket: B, Prefix: 'logs/2024/', StartAfter: 'logs/2024/09.log', FetchOwner: true }));
    expect(logs.Contents?.map((o) => o.Key)).toEqual(['logs/2024/10.log', 'logs/2024/11.log']);
    expect(logs.Contents?.[0].Owner?.ID).toBeTruthy();
    expect(logs.StartAfter).toBe('logs/2024/09.log');
  });

  it('URL-encodes keys when asked (encoding-type=url)', async () => {
    const res = await raw('GET', `/${B}?list-type=2&encoding-type=url&prefix=${encodeURIComponent('space')}`);
    expect(res.status).toBe(200);
    expect(res.body).toContain('<Key>space%20key</Key>');
    expect(res.body).toContain('<EncodingType>url</EncodingType>');
    const plus = await raw('GET', `/${B}?list-type=2&encoding-type=url&prefix=plus`);
    expect(plus.body).toContain('<Key>plus%2Bkey</Key>');
  });

  it('supports ListObjects v1 with markers', async () => {
    const first = await s3.send(new ListObjectsCommand({ Bucket: B, MaxKeys: 10 }));
    expect(first.IsTruncated).toBe(true);
    expect(first.NextMarker).toBe(first.Contents?.at(-1)?.Key);
    const rest = await s3.send(new ListObjectsCommand({ Bucket: B, Marker: first.NextMarker, MaxKeys: 1000 }));
    expect((first.Contents?.length ?? 0) + (rest.Contents?.length ?? 0)).toBe(keys.length);
    expect(rest.IsTruncated).toBe(false);
  });
});

describe('S3 API: multipart uploads', () => {
  const B = 'bucket-multipart';
  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: B }));
  });

  it('assembles parts, with the multipart ETag', async () => {
    const part1 = Buffer.alloc(5 * MiB + 123, 'a');
    const part2 = Buffer.from('tail of the object');
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'big/object', ContentType: 'application/x-big', Metadata: { m: 'v' } }));
    const p1 = await s3.send(new UploadPartCommand({ Bucket: B, Key: 'big/object', UploadId, PartNumber: 1, Body: part1 }));
    const p2 = await s3.send(new UploadPartCommand({ Bucket: B, Key: 'big/object', UploadId, PartNumber: 2, Body: part2 }));
    expect(p1.ETag).toBe(`"${md5hex(part1)}"`);
    const parts = await s3.send(new ListPartsCommand({ Bucket: B, Key: 'big/object', UploadId }));
    expect(parts.Parts?.map((p) => [p.PartNumber, p.Size])).toEqual([[1, part1.length], [2, part2.length]]);

    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: B,
        Key: 'big/object',
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 2, ETag: p2.ETag }] },
      }),
    );
    const expectedEtag = `"${createHash('md5').update(Buffer.concat([Buffer.from(md5hex(part1), 'hex'), Buffer.from(md5hex(part2), 'hex')])).digest('hex')}-2"`;
    expect(done.ETag).toBe(expectedEtag);
    const got = await s3.send(new GetObjectCommand({ Bucket: B, Key: 'big/object' }));
    expect(got.ETag).toBe(expectedEtag);
    expect(got.ContentType).toBe('application/x-big');
    expect(got.Metadata).toEqual({ m: 'v' });
    expect((await body(got)).equals(Buffer.concat([part1, part2]))).toBe(true);
    // Completed uploads are gone.
    await expectS3Error(s3.send(new ListPartsCommand({ Bucket: B, Key: 'big/object', UploadId })), 'NoSuchUpload', 404);
  });

  it('rejects undersized, unknown, mismatched and misordered parts', async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'small', ContentType: 'text/plain' }));
    const p1 = await s3.send(new UploadPartCommand({ Bucket: B, Key: 'small', UploadId, PartNumber: 1, Body: 'tiny' }));
    const p2 = await s3.send(new UploadPartCommand({ Bucket: B, Key: 'small', UploadId, PartNumber: 2, Body: 'tiny too' }));
    const complete = (Parts: { PartNumber: number; ETag?: string }[]) =>
      s3.send(new CompleteMultipartUploadCommand({ Bucket: B, Key: 'small', UploadId, MultipartUpload: { Parts } }));
    await expectS3Error(complete([{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 2, ETag: p2.ETag }]), 'EntityTooSmall', 400);
    await expectS3Error(complete([{ PartNumber: 1, ETag: '"0000"' }]), 'InvalidPart', 400);
    await expectS3Error(complete([{ PartNumber: 3, ETag: p1.ETag }]), 'InvalidPart', 400);
    await expectS3Error(complete([{ PartNumber: 2, ETag: p2.ETag }, { PartNumber: 1, ETag: p1.ETag }]), 'InvalidPartOrder', 400);
    // A single small part is fine: the last part has no minimum.
    const one = await complete([{ PartNumber: 1, ETag: p1.ETag }]);
    expect(one.ETag).toMatch(/-1"$/);
    expect((await body(await s3.send(new GetObjectCommand({ Bucket: B, Key: 'small' })))).toString()).toBe('tiny');
  });

  it('aborts uploads', async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'aborted' }));
    await s3.send(new UploadPartCommand({ Bucket: B, Key: 'aborted', UploadId, PartNumber: 1, Body: 'x' }));
    await s3.send(new AbortMultipartUploadCommand({ Bucket: B, Key: 'aborted', UploadId }));
    await expectS3Error(s3.send(new AbortMultipartUploadCommand({ Bucket: B, Key: 'aborted', UploadId })), 'NoSuchUpload', 404);
    await expectS3Error(
      s3.send(new UploadPartCommand({ Bucket: B, Key: 'aborted', UploadId: 'not-an-upload-id-at-all', PartNumber: 1, Body: 'x' })),
      'NoSuchUpload',
      404,
    );
    await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: B, Key: 'aborted' })), 'NotFound', 404);
  });
});

describe('S3 API: integrity checks', () => {
  const B = 'bucket-checksums';
  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: B }));
  });

  it("decodes the SDK's default aws-chunked upload with a trailing CRC32", async () => {
    const data = Buffer.alloc(300_000, 'z');
    const put = await s3.send(
      new PutObjectCommand({ Bucket: B, Key: 'trailer', Body: Readable.from([data.subarray(0, 100_000), data.subarray(100_000)]), ContentLength: data.length }),
    );
    expect(lastRequestHeaders['content-encoding']).toContain('aws-chunked');
    expect(lastRequestHeaders['x-amz-trailer']).toBe('x-amz-checksum-crc32');
    expect(put.ChecksumCRC32).toBeTruthy();
    const got = await s3.send(new GetObjectCommand({ Bucket: B, Key: 'trailer', ChecksumMode: 'ENABLED' }));
    expect(got.ChecksumCRC32).toBe(put.ChecksumCRC32);
    // The SDK validates the returned checksum against the body it reads.
    expect((await body(got)).equals(data)).toBe(true);
  });

  it('verifies each checksum algorithm sent as a header', async () => {
    for (const alg of ['CRC32', 'CRC32C', 'SHA1', 'SHA256'] as const) {
      const put = await s3.send(new PutObjectCommand({ Bucket: B, Key: `alg-${alg}`, Body: 'checksummed', ChecksumAlgorithm: alg }));
      expect(put[`Checksum${alg}`], alg).toBeTruthy();
      const head = await s3.send(new HeadObjectCommand({ Bucket: B, Key: `alg-${alg}`, ChecksumMode: 'ENABLED' }));
      expect(head[`Checksum${alg}`], alg).toBe(put[`Checksum${alg}`]);
    }
  });

  it('verifies CRC64NVME', async () => {
    // "123456789" is the CRC catalogue's check input for CRC-64/NVME: ae8b14860a799888.
    const good = Buffer.from('ae8b14860a799888', 'hex').toString('base64');
    const ok = await raw('PUT', `/${B}/crc64`, { headers: { 'x-amz-checksum-crc64nvme': good }, body: '123456789' });
    expect(ok.status).toBe(200);
    expect(ok.headers['x-amz-checksum-crc64nvme']).toBe(good);
    const bad = await raw('PUT', `/${B}/crc64`, { headers: { 'x-amz-checksum-crc64nvme': Buffer.alloc(8).toString('base64') }, body: '123456789' });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('<Code>BadDigest</Code>');
  });

  it('rejects a wrong x-amz-checksum-crc32 with BadDigest and stores nothing', async () => {
    const err = await expectS3Error(
      s3.send(new PutObjectCommand({ Bucket: B, Key: 'bad-crc', Body: 'some content', ChecksumCRC32: 'AAAAAA==' })),
      'BadDigest',
      400,
    );
    expect(err.message).toBe('The CRC32 you specified did not match the calculated checksum.');
    await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: B, Key: 'bad-crc' })), 'NotFound', 404);
  });

  it('rejects a wrong trailing checksum', async () => {
    const chunked = 'b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n';
    const res = await raw('PUT', `/${B}/bad-trailer`, {
      headers: {
        'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
        'content-encoding': 'aws-chunked',
        'x-amz-decoded-content-length': 11,
        'x-amz-trailer': 'x-amz-checksum-crc32',
      },
      body: chunked,
    });
    expect(res.status).toBe(400);
    expect(res.body).toContain('<Code>BadDigest</Code>');
  });

  it('decodes signed aws-chunked bodies (STREAMING-AWS4-HMAC-SHA256-PAYLOAD)', async () => {
    const sig = 'a'.repeat(64);
    const chunked = `5;chunk-signature=${sig}\r\nhello\r\n6;chunk-signature=${sig}\r\n world\r\n0;chunk-signature=${sig}\r\n\r\n`;
    const res = await raw('PUT', `/${B}/signed-chunks`, {
      headers: { 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'x-amz-decoded-content-length': 11 },
      body: chunked,
    });
    expect(res.status).toBe(200);
    expect((await body(await s3.send(new GetObjectCommand({ Bucket: B, Key: 'signed-chunks' })))).toString()).toBe('hello world');
    const truncated = await raw('PUT', `/${B}/truncated-chunks`, {
      headers: { 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'x-amz-decoded-content-length': 11 },
      body: `5;chunk-signature=${sig}\r\nhello\r\n`,
    });
    expect(truncated.status).toBe(400);
    const garbage = await raw('PUT', `/${B}/garbage-chunks`, {
      headers: { 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' },
      body: 'zz\r\nhello\r\n',
    });
    expect(garbage.status).toBe(400);
    await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: B, Key: 'truncated-chunks' })), 'NotFound', 404);
  });

  it('checks Content-MD5', async () => {
    const good = createHash('md5').update('md5 body').digest('base64');
    expect((await raw('PUT', `/${B}/md5`, { headers: { 'content-md5': good }, body: 'md5 body' })).status).toBe(200);
    const wrong = await raw('PUT', `/${B}/md5`, { headers: { 'content-md5': createHash('md5').update('x').digest('base64') }, body: 'md5 body' });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toContain('<Code>BadDigest</Code>');
    const invalid = await raw('PUT', `/${B}/md5`, { headers: { 'content-md5': 'not-md5' }, body: 'md5 body' });
    expect(invalid.status).toBe(400);
    expect(invalid.body).toContain('<Code>InvalidDigest</Code>');
  });
});

describe('S3 API: addressing', () => {
  it('serves virtual-host style requests (bucket.localhost)', async () => {
    // glibc does not resolve *.localhost, so the agent resolves every name to loopback itself.
    const agent = new http.Agent({
      lookup: ((_host: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void) =>
        opts?.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4)) as never,
    });
    const vhost = client({ forcePathStyle: false, endpoint: `http://localhost:${target.port}`, agent });
    try {
      await vhost.send(new CreateBucketCommand({ Bucket: 'bucket-vhost' }));
      expect(lastRequestHeaders.host).toMatch(/^bucket-vhost\.localhost/);
      await vhost.send(new PutObjectCommand({ Bucket: 'bucket-vhost', Key: 'dir/file.txt', Body: 'vhost' }));
      const got = await vhost.send(new GetObjectCommand({ Bucket: 'bucket-vhost', Key: 'dir/file.txt' }));
      expect((await body(got)).toString()).toBe('vhost');
      // The same object, path-style.
      expect((await body(await s3.send(new GetObjectCommand({ Bucket: 'bucket-vhost', Key: 'dir/file.txt' })))).toString()).toBe('vhost');
      const list = await vhost.send(new ListObjectsV2Command({ Bucket: 'bucket-vhost' }));
      expect(list.Contents?.map((o) => o.Key)).toEqual(['dir/file.txt']);
    } finally {
      vhost.destroy();
      agent.destroy();
    }
    const viaS3Label = await raw('GET', '/dir/file.txt', { host: `bucket-vhost.s3.localhost.localstack.cloud:${target.port}` });
    expect(viaS3Label.body).toBe('vhost');
  });
});

describe('S3 API: the minio client', () => {
  it('works against the embedded S3 (buckets, objects, listing, multipart)', async () => {
    const mc = new Minio.Client({ endPoint: '127.0.0.1', port: target.port, useSSL: false, accessKey: 'test', secretKey: 'test', region: 'us-east-1' });
    await mc.makeBucket('bucket-minio');
    expect(await mc.bucketExists('bucket-minio')).toBe(true);
    await mc.putObject('bucket-minio', 'a/b.txt', Buffer.from('from minio'), undefined, { 'Content-Type': 'text/plain', 'X-Amz-Meta-Who': 'mc' });
    const stat = await mc.statObject('bucket-minio', 'a/b.txt');
    expect(stat.size).toBe(10);
    expect(stat.metaData['content-type']).toBe('text/plain');
    expect(stat.metaData.who).toBe('mc');
    const chunks: Buffer[] = [];
    for await (const c of await mc.getObject('bucket-minio', 'a/b.txt')) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('from minio');
    const partial: Buffer[] = [];
    for await (const c of await mc.getPartialObject('bucket-minio', 'a/b.txt', 5, 5)) partial.push(c as Buffer);
    expect(Buffer.concat(partial).toString()).toBe('minio');

    // Larger than minio's 64 MiB part size: the client uploads it in parts.
    const size = 65 * MiB + 7;
    const big = Buffer.alloc(size);
    for (let i = 0; i < size; i += 4096) big[i] = i & 0xff;
    await mc.putObject('bucket-minio', 'big.bin', Readable.from([big.subarray(0, 30 * MiB), big.subarray(30 * MiB)]), size);
    const bigStat = await mc.statObject('bucket-minio', 'big.bin');
    expect(bigStat.size).toBe(size);
    expect(bigStat.etag).toMatch(/-\d+$/);
    const back: Buffer[] = [];
    for await (const c of await mc.getObject('bucket-minio', 'big.bin')) back.push(c as Buffer);
    expect(md5hex(Buffer.concat(back))).toBe(md5hex(big));

    const names: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const stream = mc.listObjectsV2('bucket-minio', '', true);
      stream.on('data', (o) => names.push(o.name ?? o.prefix ?? ''));
      stream.on('end', () => resolve());
      stream.on('error', reject);
    });
    expect(names).toEqual(['a/b.txt', 'big.bin']);
    await mc.removeObjects('bucket-minio', ['a/b.txt', 'big.bin']);
    await mc.removeBucket('bucket-minio');
    expect(await mc.bucketExists('bucket-minio')).toBe(false);
  }, 60_000);
});

// ---- the ObjectStore contract, for every implementation ----

function objectStoreContract(name: string, makeStore: () => Promise<ObjectStore | undefined>, skipReason?: () => string | undefined) {
  describe(`ObjectStore contract: ${name}`, () => {
    let store: ObjectStore | undefined;
    const bucket = `contract-${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${Date.now().toString(36)}`.slice(0, 63);
    beforeAll(async () => {
      store = await makeStore();
      if (!store) console.log(`s3.test: skipping the ObjectStore contract for ${name}: ${skipReason?.()}`);
      else await store.createBucket(bucket, 'us-east-1');
    });
    afterAll(async () => {
      await store?.close?.();
    });
    const test = (title: string, fn: (s: ObjectStore) => Promise<void>) =>
      it(title, async (ctx) => {
        if (!store) ctx.skip();
        else await fn(store);
      });

    test('manages buckets', async (s) => {
      expect(await s.bucketExists(bucket)).toBe(true);
      expect(await s.bucketExists('contract-missing-bucket')).toBe(false);
      expect((await s.listBuckets()).map((b) => b.name)).toContain(bucket);
      await expect(s.createBucket(bucket)).rejects.toMatchObject({ code: 'BucketAlreadyOwnedByYou' });
      const extra = `${bucket.slice(0, 50)}-extra`;
      await s.createBucket(extra);
      await s.putObject(extra, 'k', Buffer.from('v'));
      await expect(s.deleteBucket(extra)).rejects.toMatchObject({ code: 'BucketNotEmpty' });
      await s.deleteObject(extra, 'k');
      await s.deleteBucket(extra);
      expect(await s.bucketExists(extra)).toBe(false);
      await expect(s.deleteBucket(extra)).rejects.toBeInstanceOf(StoreError);
    });

    test('stores objects with metadata, from buffers and streams', async (s) => {
      const info = await s.putObject(bucket, 'obj/one.txt', Buffer.from('one'), {
        contentType: 'text/plain',
        metadata: { color: 'blue' },
        checksums: { CRC32: 'ASNFZw==' },
      });
      expect(info.etag).toBe(`"${md5hex('one')}"`);
      expect(info.size).toBe(3);
      const streamed = await s.putObject(bucket, 'obj/two.bin', Readable.from([Buffer.from('tw'), Buffer.from('o!')]), { size: 4 });
      expect(streamed.size).toBe(4);
      expect(streamed.etag).toBe(`"${md5hex('two!')}"`);

      const head = await s.headObject(bucket, 'obj/one.txt');
      expect(head).toMatchObject({ key: 'obj/one.txt', size: 3, contentType: 'text/plain', metadata: { color: 'blue' }, checksums: { CRC32: 'ASNFZw==' } });
      expect(head.lastModified).toBeInstanceOf(Date);
      expect((await readObject(s, bucket, 'obj/two.bin')).toString()).toBe('two!');
      const { info: rinfo, body: rbody } = await s.getObject(bucket, 'obj/two.bin', { start: 1, end: 2 });
      expect(rinfo.size).toBe(4);
      const parts: Buffer[] = [];
      for await (const c of rbody) parts.push(c as Buffer);
      expect(Buffer.concat(parts).toString()).toBe('wo');
      await expect(s.getObject(bucket, 'obj/two.bin', { start: 10, end: 20 })).rejects.toMatchObject({ code: 'InvalidRange' });

      await expect(s.headObject(bucket, 'obj/none')).rejects.toMatchObject({ code: 'NoSuchKey' });
      await expect(s.getObject(bucket, 'obj/none')).rejects.toMatchObject({ code: 'NoSuchKey' });
      await expect(s.headObject('contract-missing-bucket', 'x')).rejects.toMatchObject({ code: 'NoSuchBucket' });
      await expect(s.putObject('contract-missing-bucket', 'x', Buffer.from('x'))).rejects.toMatchObject({ code: 'NoSuchBucket' });
      await s.deleteObject(bucket, 'obj/none');
    });

    test('overwrites and copies', async (s) => {
      await s.putObject(bucket, 'cp/src', Buffer.from('first'), { contentType: 'text/a', metadata: { v: '1' } });
      await s.putObject(bucket, 'cp/src', Buffer.from('second'), { contentType: 'text/a', metadata: { v: '2' } });
      expect((await readObject(s, bucket, 'cp/src')).toString()).toBe('second');
      const kept = await s.copyObject(bucket, 'cp/src', bucket, 'cp/kept');
      expect(kept.etag).toBe(`"${md5hex('second')}"`);
      expect(await s.headObject(bucket, 'cp/kept')).toMatchObject({ contentType: 'text/a', metadata: { v: '2' } });
      await s.copyObject(bucket, 'cp/src', bucket, 'cp/replaced', { replaceMetadata: true, contentType: 'text/b', metadata: { w: 'x' } });
      expect(await s.headObject(bucket, 'cp/replaced')).toMatchObject({ contentType: 'text/b', metadata: { w: 'x' } });
      expect((await readObject(s, bucket, 'cp/replaced')).toString()).toBe('second');
      await expect(s.copyObject(bucket, 'cp/none', bucket, 'cp/x')).rejects.toMatchObject({ code: 'NoSuchKey' });
    });

    test('lists in byte order with prefixes, delimiters and pages', async (s) => {
      const keys = ['ls/a', 'ls/b/1', 'ls/b/2', 'ls/c', 'ls/d/', 'ls/é', 'ls/z', 'ls/😀', 'ls/\uFFFD'];
      for (const k of keys) await s.putObject(bucket, k, Buffer.from(k));
      const all = await listAll(s, bucket, 'ls/');
      const byteOrder = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      expect(all.map((o) => o.key)).toEqual(byteOrder);
      // UTF-16 order would put the emoji (a surrogate pair) before U+FFFD; UTF-8 byte order does not.
      expect(byteOrder.indexOf('ls/\uFFFD')).toBeLessThan(byteOrder.indexOf('ls/😀'));

      const rolled = await s.listObjects(bucket, { prefix: 'ls/', delimiter: '/' });
      expect(rolled.commonPrefixes).toEqual(['ls/b/', 'ls/d/']);
      expect(rolled.objects.map((o) => o.key)).toEqual(['ls/a', 'ls/c', 'ls/z', 'ls/é', 'ls/\uFFFD', 'ls/😀']);

      const seen: string[] = [];
      let startAfter: string | undefined;
      for (;;) {
        const page = await s.listObjects(bucket, { prefix: 'ls/', delimiter: '/', maxKeys: 3, startAfter });
        seen.push(...page.objects.map((o) => o.key), ...page.commonPrefixes);
        if (!page.isTruncated) break;
        startAfter = page.nextMarker;
      }
      expect(seen.sort()).toEqual([...rolled.objects.map((o) => o.key), ...rolled.commonPrefixes].sort());
      const after = await s.listObjects(bucket, { prefix: 'ls/', startAfter: 'ls/c' });
      expect(after.objects[0].key).toBe('ls/d/');
      expect((await s.listObjects(bucket, { prefix: 'nothing-here/' })).objects).toEqual([]);
    });
  });
}

objectStoreContract('FsObjectStore', async () => new FsObjectStore(join(tmp('fs-store'), 's3')));
objectStoreContract('MinioObjectStore over the embedded S3', async () =>
  new MinioObjectStore({ endpoint: target.url, accessKey: 'test', secretKey: 'test', region: 'us-east-1' }),
);
objectStoreContract(
  'MinioObjectStore on a real MinIO',
  async () => {
    const endpoint = process.env.LOCALSAGE_TEST_MINIO_ENDPOINT;
    if (!endpoint) return undefined;
    return new MinioObjectStore({
      endpoint,
      accessKey: process.env.LOCALSAGE_TEST_MINIO_ACCESS_KEY ?? 'minioadmin',
      secretKey: process.env.LOCALSAGE_TEST_MINIO_SECRET_KEY ?? 'minioadmin',
      region: process.env.LOCALSAGE_TEST_MINIO_REGION ?? 'us-east-1',
    });
  },
  () => 'LOCALSAGE_TEST_MINIO_ENDPOINT is not set (point it at a MinIO server, e.g. http://127.0.0.1:9000)',
);

describe('FsObjectStore specifics', () => {
  it('keeps every key inside its root and leaves no debris after a failed upload', async () => {
    const parent = tmp('fs-escape');
    const root = join(parent, 's3');
    const store = new FsObjectStore(root);
    await store.createBucket('escape');
    for (const key of ['../../outside', '/abs/path', '..\\..\\win', '\0nul']) {
      await store.putObject('escape', key, Buffer.from('x'));
      expect((await readObject(store, 'escape', key)).toString()).toBe('x');
    }
    expect(readdirSync(parent)).toEqual(['s3']);
    await expect(store.createBucket('../evil')).rejects.toMatchObject({ code: 'InvalidBucketName' });
    expect(await store.bucketExists('..')).toBe(false);

    const failing = new Readable({
      read() {
        this.push(Buffer.alloc(64 * 1024, 1));
        setImmediate(() => this.destroy(new Error('client went away')));
      },
    });
    await expect(store.putObject('escape', 'half', failing)).rejects.toThrow('client went away');
    await expect(store.headObject('escape', 'half')).rejects.toMatchObject({ code: 'NoSuchKey' });
    expect((await store.listObjects('escape')).objects.map((o) => o.key)).not.toContain('half');
    expect(readdirSync(join(root, '.tmp'))).toEqual([]);
  });

  it('keeps the multipart ETag override and lists 10k objects quickly', async () => {
    const store = new FsObjectStore(join(tmp('fs-many'), 's3'));
    await store.createBucket('many');
    const mp = await store.putObject('many', 'mp', Buffer.from('x'), { etag: '"abc-2"' });
    expect(mp.etag).toBe('"abc-2"');
    expect((await store.headObject('many', 'mp')).etag).toBe('"abc-2"');
    await store.deleteObject('many', 'mp');

    const n = 10_000;
    for (let i = 0; i < n; i += 200) {
      await Promise.all(Array.from({ length: 200 }, (_, j) => store.putObject('many', `k/${String(i + j).padStart(5, '0')}`, Buffer.from('v'))));
    }
    const cold = new FsObjectStore((store as unknown as { root: string }).root);
    const t0 = Date.now();
    const all = await listAll(cold, 'many', 'k/');
    const coldMs = Date.now() - t0;
    expect(all.length).toBe(n);
    expect(all[0].key).toBe('k/00000');
    expect(all.at(-1)?.key).toBe('k/09999');
    const t1 = Date.now();
    const page = await cold.listObjects('many', { prefix: 'k/', startAfter: 'k/05000', maxKeys: 10 });
    const warmMs = Date.now() - t1;
    expect(page.objects[0].key).toBe('k/05001');
    console.log(`s3.test: listing 10k objects: ${coldMs} ms cold (all pages), ${warmMs} ms for a warm page`);
    expect(coldMs).toBeLessThan(10_000);
    expect(warmMs).toBeLessThan(500);
  }, 120_000);
});
