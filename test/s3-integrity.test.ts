/**
 * The S3 API's integrity checks (aws-chunked bodies, trailing and header checksums,
 * Content-MD5) through the AWS SDK v3 and raw HTTP against a running emulator.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { body, expectS3Error, useS3Api } from './helpers/s3-api.js';

const api = useS3Api('s3-integrity.test');

describe('S3 API: integrity checks', () => {
  const B = 'bucket-checksums';
  beforeAll(async () => {
    await api.s3.send(new CreateBucketCommand({ Bucket: B }));
  });

  it("decodes the SDK's default aws-chunked upload with a trailing CRC32", async () => {
    const data = Buffer.alloc(300_000, 'z');
    const put = await api.s3.send(
      new PutObjectCommand({ Bucket: B, Key: 'trailer', Body: Readable.from([data.subarray(0, 100_000), data.subarray(100_000)]), ContentLength: data.length }),
    );
    expect(api.lastRequestHeaders['content-encoding']).toContain('aws-chunked');
    expect(api.lastRequestHeaders['x-amz-trailer']).toBe('x-amz-checksum-crc32');
    expect(put.ChecksumCRC32).toBeTruthy();
    const got = await api.s3.send(new GetObjectCommand({ Bucket: B, Key: 'trailer', ChecksumMode: 'ENABLED' }));
    expect(got.ChecksumCRC32).toBe(put.ChecksumCRC32);
    // The SDK validates the returned checksum against the body it reads.
    expect((await body(got)).equals(data)).toBe(true);
  });

  it('verifies each checksum algorithm sent as a header', async () => {
    for (const alg of ['CRC32', 'CRC32C', 'SHA1', 'SHA256'] as const) {
      const put = await api.s3.send(new PutObjectCommand({ Bucket: B, Key: `alg-${alg}`, Body: 'checksummed', ChecksumAlgorithm: alg }));
      expect(put[`Checksum${alg}`], alg).toBeTruthy();
      const head = await api.s3.send(new HeadObjectCommand({ Bucket: B, Key: `alg-${alg}`, ChecksumMode: 'ENABLED' }));
      expect(head[`Checksum${alg}`], alg).toBe(put[`Checksum${alg}`]);
    }
  });

  it('verifies CRC64NVME', async () => {
    // "123456789" is the CRC catalogue's check input for CRC-64/NVME: ae8b14860a799888.
    const good = Buffer.from('ae8b14860a799888', 'hex').toString('base64');
    const ok = await api.raw('PUT', `/${B}/crc64`, { headers: { 'x-amz-checksum-crc64nvme': good }, body: '123456789' });
    expect(ok.status).toBe(200);
    expect(ok.headers['x-amz-checksum-crc64nvme']).toBe(good);
    const bad = await api.raw('PUT', `/${B}/crc64`, { headers: { 'x-amz-checksum-crc64nvme': Buffer.alloc(8).toString('base64') }, body: '123456789' });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('<Code>BadDigest</Code>');
  });

  it('rejects a wrong x-amz-checksum-crc32 with BadDigest and stores nothing', async () => {
    const err = await expectS3Error(
      api.s3.send(new PutObjectCommand({ Bucket: B, Key: 'bad-crc', Body: 'some content', ChecksumCRC32: 'AAAAAA==' })),
      'BadDigest',
      400,
    );
    expect(err.message).toBe('The CRC32 you specified did not match the calculated checksum.');
    await expectS3Error(api.s3.send(new HeadObjectCommand({ Bucket: B, Key: 'bad-crc' })), 'NotFound', 404);
  });

  it('rejects a wrong trailing checksum', async () => {
    const chunked = 'b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n';
    const res = await api.raw('PUT', `/${B}/bad-trailer`, {
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
    const res = await api.raw('PUT', `/${B}/signed-chunks`, {
      headers: { 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'x-amz-decoded-content-length': 11 },
      body: chunked,
    });
    expect(res.status).toBe(200);
    expect((await body(await api.s3.send(new GetObjectCommand({ Bucket: B, Key: 'signed-chunks' })))).toString()).toBe('hello world');
    const truncated = await api.raw('PUT', `/${B}/truncated-chunks`, {
      headers: { 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'x-amz-decoded-content-length': 11 },
      body: `5;chunk-signature=${sig}\r\nhello\r\n`,
    });
    expect(truncated.status).toBe(400);
    const garbage = await api.raw('PUT', `/${B}/garbage-chunks`, {
      headers: { 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' },
      body: 'zz\r\nhello\r\n',
    });
    expect(garbage.status).toBe(400);
    await expectS3Error(api.s3.send(new HeadObjectCommand({ Bucket: B, Key: 'truncated-chunks' })), 'NotFound', 404);
  });

  it('checks Content-MD5', async () => {
    const good = createHash('md5').update('md5 body').digest('base64');
    expect((await api.raw('PUT', `/${B}/md5`, { headers: { 'content-md5': good }, body: 'md5 body' })).status).toBe(200);
    const wrong = await api.raw('PUT', `/${B}/md5`, { headers: { 'content-md5': createHash('md5').update('x').digest('base64') }, body: 'md5 body' });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toContain('<Code>BadDigest</Code>');
    const invalid = await api.raw('PUT', `/${B}/md5`, { headers: { 'content-md5': 'not-md5' }, body: 'md5 body' });
    expect(invalid.status).toBe(400);
    expect(invalid.body).toContain('<Code>InvalidDigest</Code>');
  });
});
