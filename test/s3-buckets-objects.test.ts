/**
 * The S3 API's buckets and single-object calls (put, get, head, delete, copy, ranges,
 * conditions, errors), through the AWS SDK v3 and raw HTTP against a running emulator.
 */
import http from 'node:http';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { body, expectS3Error, md5hex, MiB, useS3Api } from './helpers/s3-api.js';

const api = useS3Api('s3-buckets-objects.test');

describe('S3 API: buckets', () => {
  it('creates, heads, lists, locates and deletes buckets', async () => {
    await api.s3.send(new CreateBucketCommand({ Bucket: 'bucket-basics' }));
    await api.s3.send(new HeadBucketCommand({ Bucket: 'bucket-basics' }));
    const list = await api.s3.send(new ListBucketsCommand({}));
    expect(list.Buckets?.map((b) => b.Name)).toContain('bucket-basics');
    expect(list.Owner?.ID).toMatch(/^[0-9a-f]{64}$/);
    const loc = await api.s3.send(new GetBucketLocationCommand({ Bucket: 'bucket-basics' }));
    expect(loc.LocationConstraint ?? '').toBe('');

    await api.s3.send(new CreateBucketCommand({ Bucket: 'bucket-west', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
    const west = await api.s3.send(new GetBucketLocationCommand({ Bucket: 'bucket-west' }));
    expect(west.LocationConstraint).toBe('eu-west-1');

    // S3's legacy us-east-1 rule: re-creating your own bucket there is a 200; elsewhere a 409.
    await api.s3.send(new CreateBucketCommand({ Bucket: 'bucket-basics' }));
    await expectS3Error(
      api.s3.send(new CreateBucketCommand({ Bucket: 'bucket-west', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } })),
      'BucketAlreadyOwnedByYou',
      409,
    );
    await api.s3.send(new DeleteBucketCommand({ Bucket: 'bucket-basics' }));
    await expectS3Error(api.s3.send(new HeadBucketCommand({ Bucket: 'bucket-basics' })), 'NotFound', 404);
    await expectS3Error(api.s3.send(new DeleteBucketCommand({ Bucket: 'bucket-basics' })), 'NoSuchBucket', 404);
  });

  it('validates bucket names', async () => {
    for (const bad of ['ab', 'Upper-Case', 'under_score', '-leading', 'a..b', '192.168.1.1', 'x'.repeat(64)]) {
      const res = await api.raw('PUT', `/${bad}`);
      expect(res.status, bad).toBe(400);
      expect(res.body).toContain('<Code>InvalidBucketName</Code>');
    }
  });

  it('refuses to delete a bucket that is not empty', async () => {
    await api.s3.send(new CreateBucketCommand({ Bucket: 'bucket-full' }));
    await api.s3.send(new PutObjectCommand({ Bucket: 'bucket-full', Key: 'x', Body: 'x' }));
    await expectS3Error(api.s3.send(new DeleteBucketCommand({ Bucket: 'bucket-full' })), 'BucketNotEmpty', 409);
    await api.s3.send(new DeleteObjectCommand({ Bucket: 'bucket-full', Key: 'x' }));
    await api.s3.send(new DeleteBucketCommand({ Bucket: 'bucket-full' }));
  });
});

describe('S3 API: objects', () => {
  const B = 'bucket-objects';
  beforeAll(async () => {
    await api.s3.send(new CreateBucketCommand({ Bucket: B }));
  });

  it('puts, gets, heads and deletes with metadata', async () => {
    const key = 'dir/sub dir/ünïcode+plus%percent ../x.txt';
    const put = await api.s3.send(
      new PutObjectCommand({ Bucket: B, Key: key, Body: 'hello world', ContentType: 'text/plain', Metadata: { owner: 'me', 'multi-word': 'a b' } }),
    );
    expect(put.ETag).toBe(`"${md5hex('hello world')}"`);
    const got = await api.s3.send(new GetObjectCommand({ Bucket: B, Key: key }));
    expect((await body(got)).toString()).toBe('hello world');
    expect(got.ContentType).toBe('text/plain');
    expect(got.ContentLength).toBe(11);
    expect(got.ETag).toBe(put.ETag);
    expect(got.Metadata).toEqual({ owner: 'me', 'multi-word': 'a b' });
    expect(got.AcceptRanges).toBe('bytes');
    expect(got.LastModified).toBeInstanceOf(Date);
    const head = await api.s3.send(new HeadObjectCommand({ Bucket: B, Key: key }));
    expect(head.ContentLength).toBe(11);
    expect(head.ETag).toBe(put.ETag);

    await api.s3.send(new DeleteObjectCommand({ Bucket: B, Key: key }));
    await expectS3Error(api.s3.send(new GetObjectCommand({ Bucket: B, Key: key })), 'NoSuchKey', 404);
    // Deleting what is not there is still a success, as on S3.
    const again = await api.s3.send(new DeleteObjectCommand({ Bucket: B, Key: key }));
    expect(again.$metadata.httpStatusCode).toBe(204);
  });

  it('keeps awkward keys apart and in their own bucket', async () => {
    const keys = ['folder/', 'a/../b', './c', '..', 'trailing space ', ' leading', 'x'.repeat(1024), '😀/emoji', 'tab\there'];
    for (const key of keys) await api.s3.send(new PutObjectCommand({ Bucket: B, Key: key, Body: `v:${key}` }));
    for (const key of keys) {
      expect((await body(await api.s3.send(new GetObjectCommand({ Bucket: B, Key: key })))).toString()).toBe(`v:${key}`);
    }
    const listed = await api.s3.send(new ListObjectsV2Command({ Bucket: B }));
    expect(listed.Contents?.map((o) => o.Key).sort()).toEqual([...keys].sort());
    await expectS3Error(api.s3.send(new PutObjectCommand({ Bucket: B, Key: 'y'.repeat(1025), Body: 'x' })), 'KeyTooLongError', 400);
    await api.s3.send(new DeleteObjectsCommand({ Bucket: B, Delete: { Objects: keys.map((Key) => ({ Key })) } }));
  });

  it('serves byte ranges', async () => {
    await api.s3.send(new PutObjectCommand({ Bucket: B, Key: 'range', Body: '0123456789' }));
    const mid = await api.s3.send(new GetObjectCommand({ Bucket: B, Key: 'range', Range: 'bytes=2-5' }));
    expect(mid.$metadata.httpStatusCode).toBe(206);
    expect(mid.ContentRange).toBe('bytes 2-5/10');
    expect((await body(mid)).toString()).toBe('2345');
    const open = await api.s3.send(new GetObjectCommand({ Bucket: B, Key: 'range', Range: 'bytes=7-' }));
    expect((await body(open)).toString()).toBe('789');
    const suffix = await api.s3.send(new GetObjectCommand({ Bucket: B, Key: 'range', Range: 'bytes=-3' }));
    expect((await body(suffix)).toString()).toBe('789');
    const clamped = await api.s3.send(new GetObjectCommand({ Bucket: B, Key: 'range', Range: 'bytes=8-100' }));
    expect(clamped.ContentRange).toBe('bytes 8-9/10');
    await expectS3Error(api.s3.send(new GetObjectCommand({ Bucket: B, Key: 'range', Range: 'bytes=10-' })), 'InvalidRange', 416);
    const rawRes = await api.raw('GET', `/${B}/range`, { headers: { range: 'bytes=20-30' } });
    expect(rawRes.status).toBe(416);
    expect(rawRes.headers['content-range']).toBe('bytes */10');
    expect(rawRes.body).toContain('<Code>InvalidRange</Code>');
  });

  it('answers conditional requests', async () => {
    const put = await api.s3.send(new PutObjectCommand({ Bucket: B, Key: 'cond', Body: 'c' }));
    const res = await api.raw('GET', `/${B}/cond`, { headers: { 'if-none-match': put.ETag! } });
    expect(res.status).toBe(304);
    await expectS3Error(api.s3.send(new GetObjectCommand({ Bucket: B, Key: 'cond', IfMatch: '"nope"' })), 'PreconditionFailed', 412);
  });

  it('reports errors with S3 codes, statuses and bodies', async () => {
    const missing = await api.raw('GET', `/${B}/no/such/key`);
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toBe('application/xml');
    expect(missing.headers['x-amz-request-id']).toBeTruthy();
    expect(missing.body).toContain('<Code>NoSuchKey</Code>');
    expect(missing.body).toContain('<Message>The specified key does not exist.</Message>');
    expect(missing.body).toContain('<Key>no/such/key</Key>');
    expect(missing.body).toContain(`<BucketName>${B}</BucketName>`);
    expect(missing.body).toMatch(/<RequestId>[^<]+<\/RequestId>/);

    const head = await api.raw('HEAD', `/${B}/no/such/key`);
    expect(head.status).toBe(404);
    expect(head.body).toBe('');

    await expectS3Error(api.s3.send(new GetObjectCommand({ Bucket: 'no-such-bucket', Key: 'k' })), 'NoSuchBucket', 404);
    await expectS3Error(api.s3.send(new PutObjectCommand({ Bucket: 'no-such-bucket', Key: 'k', Body: 'x' })), 'NoSuchBucket', 404);
    await expectS3Error(api.s3.send(new ListObjectsV2Command({ Bucket: 'no-such-bucket' })), 'NoSuchBucket', 404);

    const tagging = await api.raw('PUT', `/${B}/k?tagging`, { body: '<Tagging/>' });
    expect(tagging.status).toBe(501);
    expect(tagging.body).toContain('<Code>NotImplemented</Code>');
    const patch = await api.raw('PATCH', `/${B}/k`);
    expect(patch.status).toBe(405);
    expect(patch.body).toContain('<Code>MethodNotAllowed</Code>');
    const badXml = await api.raw('POST', `/${B}?delete`, { body: '<Delete><Object>' });
    expect(badXml.status).toBe(400);
    expect(badXml.body).toContain('<Code>MalformedXML</Code>');
    const badUri = await api.raw('GET', `/${B}/%E0%A4%A`);
    expect(badUri.status).toBe(400);
  });

  it('deletes many objects at once, quietly or not', async () => {
    for (const k of ['d1', 'd2', 'd3']) await api.s3.send(new PutObjectCommand({ Bucket: B, Key: k, Body: k }));
    const loud = await api.s3.send(new DeleteObjectsCommand({ Bucket: B, Delete: { Objects: [{ Key: 'd1' }, { Key: 'never-existed' }] } }));
    expect(loud.Deleted?.map((d) => d.Key).sort()).toEqual(['d1', 'never-existed']);
    expect(loud.Errors ?? []).toEqual([]);
    const quiet = await api.s3.send(new DeleteObjectsCommand({ Bucket: B, Delete: { Quiet: true, Objects: [{ Key: 'd2' }, { Key: 'd3' }] } }));
    expect(quiet.Deleted ?? []).toEqual([]);
    const left = await api.s3.send(new ListObjectsV2Command({ Bucket: B, Prefix: 'd' }));
    expect(left.KeyCount).toBe(0);
  });

  it('copies objects, keeping or replacing metadata', async () => {
    await api.s3.send(new PutObjectCommand({ Bucket: B, Key: 'src key+1', Body: 'copy me', ContentType: 'text/x-src', Metadata: { a: '1' } }));
    const copied = await api.s3.send(new CopyObjectCommand({ Bucket: B, Key: 'dst/copy', CopySource: `${B}/${encodeURIComponent('src key+1')}` }));
    expect(copied.CopyObjectResult?.ETag).toBe(`"${md5hex('copy me')}"`);
    const dst = await api.s3.send(new HeadObjectCommand({ Bucket: B, Key: 'dst/copy' }));
    expect(dst.Metadata).toEqual({ a: '1' });
    expect(dst.ContentType).toBe('text/x-src');

    await api.s3.send(
      new CopyObjectCommand({
        Bucket: B,
        Key: 'dst/replaced',
        CopySource: `/${B}/${encodeURIComponent('src key+1')}?versionId=null`,
        MetadataDirective: 'REPLACE',
        Metadata: { b: '2' },
        ContentType: 'text/x-new',
      }),
    );
    const replaced = await api.s3.send(new GetObjectCommand({ Bucket: B, Key: 'dst/replaced' }));
    expect(replaced.Metadata).toEqual({ b: '2' });
    expect(replaced.ContentType).toBe('text/x-new');
    expect((await body(replaced)).toString()).toBe('copy me');

    await expectS3Error(
      api.s3.send(new CopyObjectCommand({ Bucket: B, Key: 'src key+1', CopySource: `${B}/${encodeURIComponent('src key+1')}` })),
      'InvalidRequest',
      400,
    );
    await expectS3Error(api.s3.send(new CopyObjectCommand({ Bucket: B, Key: 'x', CopySource: `${B}/missing` })), 'NoSuchKey', 404);
  });

  it('never shows an object whose upload was aborted mid-stream', async () => {
    await new Promise<void>((resolve) => {
      const req = http.request({
        host: '127.0.0.1',
        port: api.target.port,
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
    await expectS3Error(api.s3.send(new HeadObjectCommand({ Bucket: B, Key: 'aborted' })), 'NotFound', 404);
    const list = await api.s3.send(new ListObjectsV2Command({ Bucket: B, Prefix: 'aborted' }));
    expect(list.KeyCount).toBe(0);
    // The server is still healthy afterwards.
    await api.s3.send(new PutObjectCommand({ Bucket: B, Key: 'after-abort', Body: 'ok' }));
  });
});
