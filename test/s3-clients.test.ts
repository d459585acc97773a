/**
 * The S3 API as other clients address it: virtual-host style requests from the AWS SDK v3,
 * and the minio JavaScript client end to end, against a running emulator.
 */
import http from 'node:http';
import { Readable } from 'node:stream';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import * as Minio from 'minio';
import { describe, expect, it } from 'vitest';
import { body, md5hex, MiB, useS3Api } from './helpers/s3-api.js';

const api = useS3Api('s3-clients.test');

describe('S3 API: addressing', () => {
  it('serves virtual-host style requests (bucket.localhost)', async () => {
    // glibc does not resolve *.localhost, so the agent resolves every name to loopback itself.
    const agent = new http.Agent({
      lookup: ((_host: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void) =>
        opts?.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4)) as never,
    });
    const vhost = api.client({ forcePathStyle: false, endpoint: `http://localhost:${api.target.port}`, agent });
    try {
      await vhost.send(new CreateBucketCommand({ Bucket: 'bucket-vhost' }));
      expect(api.lastRequestHeaders.host).toMatch(/^bucket-vhost\.localhost/);
      await vhost.send(new PutObjectCommand({ Bucket: 'bucket-vhost', Key: 'dir/file.txt', Body: 'vhost' }));
      const got = await vhost.send(new GetObjectCommand({ Bucket: 'bucket-vhost', Key: 'dir/file.txt' }));
      expect((await body(got)).toString()).toBe('vhost');
      // The same object, path-style.
      expect((await body(await api.s3.send(new GetObjectCommand({ Bucket: 'bucket-vhost', Key: 'dir/file.txt' })))).toString()).toBe('vhost');
      const list = await vhost.send(new ListObjectsV2Command({ Bucket: 'bucket-vhost' }));
      expect(list.Contents?.map((o) => o.Key)).toEqual(['dir/file.txt']);
    } finally {
      vhost.destroy();
      agent.destroy();
    }
    const viaS3Label = await api.raw('GET', '/dir/file.txt', { host: `bucket-vhost.s3.localhost.localstack.cloud:${api.target.port}` });
    expect(viaS3Label.body).toBe('vhost');
  });
});

describe('S3 API: the minio client', () => {
  it('works against the embedded S3 (buckets, objects, listing, multipart)', async () => {
    const mc = new Minio.Client({ endPoint: '127.0.0.1', port: api.target.port, useSSL: false, accessKey: 'test', secretKey: 'test', region: 'us-east-1' });
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
