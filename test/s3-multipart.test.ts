/**
 * The S3 API's multipart uploads (assembly and the multipart ETag, part checks, aborts)
 * through the AWS SDK v3 against a running emulator.
 */
import { createHash } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListPartsCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { body, expectS3Error, md5hex, MiB, useS3Api } from './helpers/s3-api.js';

const api = useS3Api('s3-multipart.test');

describe('S3 API: multipart uploads', () => {
  const B = 'bucket-multipart';
  beforeAll(async () => {
    await api.s3.send(new CreateBucketCommand({ Bucket: B }));
  });

  it('assembles parts, with the multipart ETag', async () => {
    const part1 = Buffer.alloc(5 * MiB + 123, 'a');
    const part2 = Buffer.from('tail of the object');
    const { UploadId } = await api.s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'big/object', ContentType: 'application/x-big', Metadata: { m: 'v' } }));
    const p1 = await api.s3.send(new UploadPartCommand({ Bucket: B, Key: 'big/object', UploadId, PartNumber: 1, Body: part1 }));
    const p2 = await api.s3.send(new UploadPartCommand({ Bucket: B, Key: 'big/object', UploadId, PartNumber: 2, Body: part2 }));
    expect(p1.ETag).toBe(`"${md5hex(part1)}"`);
    const parts = await api.s3.send(new ListPartsCommand({ Bucket: B, Key: 'big/object', UploadId }));
    expect(parts.Parts?.map((p) => [p.PartNumber, p.Size])).toEqual([[1, part1.length], [2, part2.length]]);

    const done = await api.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: B,
        Key: 'big/object',
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 2, ETag: p2.ETag }] },
      }),
    );
    const expectedEtag = `"${createHash('md5').update(Buffer.concat([Buffer.from(md5hex(part1), 'hex'), Buffer.from(md5hex(part2), 'hex')])).digest('hex')}-2"`;
    expect(done.ETag).toBe(expectedEtag);
    const got = await api.s3.send(new GetObjectCommand({ Bucket: B, Key: 'big/object' }));
    expect(got.ETag).toBe(expectedEtag);
    expect(got.ContentType).toBe('application/x-big');
    expect(got.Metadata).toEqual({ m: 'v' });
    expect((await body(got)).equals(Buffer.concat([part1, part2]))).toBe(true);
    // Completed uploads are gone.
    await expectS3Error(api.s3.send(new ListPartsCommand({ Bucket: B, Key: 'big/object', UploadId })), 'NoSuchUpload', 404);
  });

  it('rejects undersized, unknown, mismatched and misordered parts', async () => {
    const { UploadId } = await api.s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'small', ContentType: 'text/plain' }));
    const p1 = await api.s3.send(new UploadPartCommand({ Bucket: B, Key: 'small', UploadId, PartNumber: 1, Body: 'tiny' }));
    const p2 = await api.s3.send(new UploadPartCommand({ Bucket: B, Key: 'small', UploadId, PartNumber: 2, Body: 'tiny too' }));
    const complete = (Parts: { PartNumber: number; ETag?: string }[]) =>
      api.s3.send(new CompleteMultipartUploadCommand({ Bucket: B, Key: 'small', UploadId, MultipartUpload: { Parts } }));
    await expectS3Error(complete([{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 2, ETag: p2.ETag }]), 'EntityTooSmall', 400);
    await expectS3Error(complete([{ PartNumber: 1, ETag: '"0000"' }]), 'InvalidPart', 400);
    await expectS3Error(complete([{ PartNumber: 3, ETag: p1.ETag }]), 'InvalidPart', 400);
    await expectS3Error(complete([{ PartNumber: 2, ETag: p2.ETag }, { PartNumber: 1, ETag: p1.ETag }]), 'InvalidPartOrder', 400);
    // A single small part is fine: the last part has no minimum.
    const one = await complete([{ PartNumber: 1, ETag: p1.ETag }]);
    expect(one.ETag).toMatch(/-1"$/);
    expect((await body(await api.s3.send(new GetObjectCommand({ Bucket: B, Key: 'small' })))).toString()).toBe('tiny');
  });

  it('aborts uploads', async () => {
    const { UploadId } = await api.s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'aborted' }));
    await api.s3.send(new UploadPartCommand({ Bucket: B, Key: 'aborted', UploadId, PartNumber: 1, Body: 'x' }));
    await api.s3.send(new AbortMultipartUploadCommand({ Bucket: B, Key: 'aborted', UploadId }));
    await expectS3Error(api.s3.send(new AbortMultipartUploadCommand({ Bucket: B, Key: 'aborted', UploadId })), 'NoSuchUpload', 404);
    await expectS3Error(
      api.s3.send(new UploadPartCommand({ Bucket: B, Key: 'aborted', UploadId: 'not-an-upload-id-at-all', PartNumber: 1, Body: 'x' })),
      'NoSuchUpload',
      404,
    );
    await expectS3Error(api.s3.send(new HeadObjectCommand({ Bucket: B, Key: 'aborted' })), 'NotFound', 404);
  });
});
