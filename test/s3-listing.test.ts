/**
 * The S3 API's object listings (ListObjectsV2 and v1: pages, delimiters, prefixes, URL
 * encoding) through the AWS SDK v3 and raw HTTP against a running emulator.
 */
import { CreateBucketCommand, ListObjectsCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { useS3Api } from './helpers/s3-api.js';

const api = useS3Api('s3-listing.test');

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
    await api.s3.send(new CreateBucketCommand({ Bucket: B }));
    await Promise.all(keys.map((Key) => api.s3.send(new PutObjectCommand({ Bucket: B, Key, Body: Key }))));
  });

  it('paginates ListObjectsV2 with continuation tokens', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await api.s3.send(new ListObjectsV2Command({ Bucket: B, MaxKeys: 4, ContinuationToken: token }));
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
    const top = await api.s3.send(new ListObjectsV2Command({ Bucket: B, Delimiter: '/' }));
    expect(top.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['data/', 'logs/']);
    expect(top.Contents?.map((o) => o.Key)).toEqual(['plus+key', 'root.txt', 'space key']);

    const items: string[] = [];
    let token: string | undefined;
    do {
      const page = await api.s3.send(new ListObjectsV2Command({ Bucket: B, Prefix: 'data/', Delimiter: '/', MaxKeys: 2, ContinuationToken: token }));
      items.push(...(page.CommonPrefixes ?? []).map((p) => `P:${p.Prefix}`), ...(page.Contents ?? []).map((o) => o.Key!));
      token = page.NextContinuationToken;
    } while (token);
    expect(items.sort()).toEqual(['P:data/nested/', ...Array.from({ length: 5 }, (_, i) => `data/part-${i}`)].sort());
  });

  it('honours prefix, start-after and fetch-owner', async () => {
    const logs = await api.s3.send(new ListObjectsV2Command({ Bucket: B, Prefix: 'logs/2024/', StartAfter: 'logs/2024/09.log', FetchOwner: true }));
    expect(logs.Contents?.map((o) => o.Key)).toEqual(['logs/2024/10.log', 'logs/2024/11.log']);
    expect(logs.Contents?.[0].Owner?.ID).toBeTruthy();
    expect(logs.StartAfter).toBe('logs/2024/09.log');
  });

  it('URL-encodes keys when asked (encoding-type=url)', async () => {
    const res = await api.raw('GET', `/${B}?list-type=2&encoding-type=url&prefix=${encodeURIComponent('space')}`);
    expect(res.status).toBe(200);
    expect(res.body).toContain('<Key>space%20key</Key>');
    expect(res.body).toContain('<EncodingType>url</EncodingType>');
    const plus = await api.raw('GET', `/${B}?list-type=2&encoding-type=url&prefix=plus`);
    expect(plus.body).toContain('<Key>plus%2Bkey</Key>');
  });

  it('supports ListObjects v1 with markers', async () => {
    const first = await api.s3.send(new ListObjectsCommand({ Bucket: B, MaxKeys: 10 }));
    expect(first.IsTruncated).toBe(true);
    expect(first.NextMarker).toBe(first.Contents?.at(-1)?.Key);
    const rest = await api.s3.send(new ListObjectsCommand({ Bucket: B, Marker: first.NextMarker, MaxKeys: 1000 }));
    expect((first.Contents?.length ?? 0) + (rest.Contents?.length ?? 0)).toBe(keys.length);
    expect(rest.IsTruncated).toBe(false);
  });
});
