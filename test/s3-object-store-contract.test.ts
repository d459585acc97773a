/**
 * The ObjectStore contract for every implementation (the filesystem store, the MinIO-client
 * store over the emulator's own S3 API and, where LOCALSAGE_TEST_MINIO_ENDPOINT names one, over
 * a real MinIO), and what only the filesystem store promises.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../emulator/storage/fs-object-store.js';
import { MinioObjectStore } from '../emulator/storage/minio-object-store.js';
import { listAll, readObject, StoreError, type ObjectStore } from '../emulator/storage/object-store.js';
import { md5hex, useS3Api } from './helpers/s3-api.js';

const api = useS3Api('s3-object-store-contract.test');

// ---- the ObjectStore contract, for every implementation ----

function objectStoreContract(name: string, makeStore: () => Promise<ObjectStore | undefined>, skipReason?: () => string | undefined) {
  describe(`ObjectStore contract: ${name}`, () => {
    let store: ObjectStore | undefined;
    const bucket = `contract-${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${Date.now().toString(36)}`.slice(0, 63);
    beforeAll(async () => {
      store = await makeStore();
      if (!store) console.log(`s3-object-store-contract.test: skipping the ObjectStore contract for ${name}: ${skipReason?.()}`);
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

objectStoreContract('FsObjectStore', async () => new FsObjectStore(join(api.tmp('fs-store'), 's3')));
objectStoreContract('MinioObjectStore over the embedded S3', async () =>
  new MinioObjectStore({ endpoint: api.target.url, accessKey: 'test', secretKey: 'test', region: 'us-east-1' }),
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
    const parent = api.tmp('fs-escape');
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

  it('keeps the multipart ETag override and lists 10k objects in order, paging from StartAfter', async () => {
    const store = new FsObjectStore(join(api.tmp('fs-many'), 's3'));
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
    expect(page.objects.map((o) => o.key)).toEqual(Array.from({ length: 10 }, (_, i) => `k/${String(5001 + i).padStart(5, '0')}`));
    // Timings are printed for the reader, never asserted: speed is the benches' business.
    console.log(`s3-object-store-contract.test: listing 10k objects: ${coldMs} ms cold (all pages), ${warmMs} ms for a warm page`);
  }, 120_000);
});
