import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import {
  StoreError,
  type BucketInfo,
  type ListOptions,
  type ListResult,
  type ObjectInfo,
  type ObjectStore,
  type PutOptions,
} from './object-store.js';
import { spool, writeFileAtomic } from '../../core/atomic-file.js';
import { FsKeyIndex } from './fs-key-index.js';
import { isMissing, toInfo, type StoredMeta } from './fs-records.js';
import { listSorted, type Entry } from './sorted-listing.js';

/**
 * The embedded object store: one directory per bucket under `root`.
 *
 * Layout (root = `<dataDir>/s3`):
 *   .tmp/                                  every write starts here (same filesystem, so rename is atomic)
 *   <bucket>/.bucket.json                  the bucket exists iff this file does
 *   <bucket>/objects/<h2>/<h>.json         object metadata, key included; h = sha256(key)
 *   <bucket>/objects/<h2>/<h>.<rand>.data  the bytes the metadata points to
 *
 * Keys never become path components (only their hash does), so no key can escape the root, and
 * keys of any length or content work. The metadata rename is the single commit point: data is
 * written and fsynced under a fresh name first, so a reader sees either the old object or the new
 * one, and a crash mid-upload leaves nothing listed.
 */

const BUCKET_FILE = '.bucket.json';
/** Bucket names that are also safe directory names (S3's rules are stricter; see s3/names.ts). */
const SAFE_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** What putObject names data files: `<sha256 hex>.<random hex>.data`. */
const DATA_FILE = /^[0-9a-f]{64}\.[0-9a-f]{16}\.data$/;
const keyId = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex');
const rand = () => randomBytes(8).toString('hex');

export class FsObjectStore implements ObjectStore {
  readonly kind = 'embedded' as const;
  private readonly tmpDir: string;
  private readonly keyIndex = new FsKeyIndex();
  private readonly locks = new Map<string, Promise<void>>();
  /** Writes under way per bucket, and buckets being deleted: DeleteBucket and writes exclude each other. */
  private readonly writers = new Map<string, number>();
  private readonly deleting = new Set<string>();

  constructor(private readonly root: string) {
    this.tmpDir = path.join(root, '.tmp');
  }

  // ---- buckets ----

  async createBucket(bucket: string, region?: string): Promise<void> {
    if (!SAFE_BUCKET.test(bucket)) throw new StoreError('InvalidBucketName', `Invalid bucket name: ${bucket}`);
    const dir = this.bucketDir(bucket);
    await fsp.mkdir(this.root, { recursive: true });
    try {
      await fsp.mkdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (await this.bucketExists(bucket)) {
        throw new StoreError('BucketAlreadyOwnedByYou', `Bucket ${bucket} already exists`);
      }
      // A directory without its marker is a half-created bucket from a crash: finish creating it.
    }
    await fsp.mkdir(this.tmpDir, { recursive: true });
    await writeFileAtomic(path.join(dir, BUCKET_FILE), JSON.stringify({ name: bucket, creationDate: new Date().toISOString(), region: region || undefined }), this.tmpDir);
  }

  async bucketExists(bucket: string): Promise<boolean> {
    if (!SAFE_BUCKET.test(bucket)) return false;
    try {
      await fsp.access(path.join(this.bucketDir(bucket), BUCKET_FILE));
      return true;
    } catch {
      return false;
    }
  }

  async bucketRegion(bucket: string): Promise<string | undefined> {
    return (await this.readBucketFile(bucket)).region;
  }

  async listBuckets(): Promise<BucketInfo[]> {
    let names: string[];
    try {
      names = await fsp.readdir(this.root);
    } catch (err) {
      if (isMissing(err)) return [];
      throw err;
    }
    const out: BucketInfo[] = [];
    for (const name of names.filter((n) => SAFE_BUCKET.test(n)).sort()) {
      try {
        const b = await this.readBucketFile(name);
        out.push({ name, creationDate: new Date(b.creationDate) });
      } catch {
        // not a complete bucket
      }
    }
    return out;
  }

  async deleteBucket(bucket: string): Promise<void> {
    // A write under way will add an object: the bucket is not empty. While the delete runs, new
    // writes find no bucket (the check and the mark happen with no await in between).
    if ((this.writers.get(bucket) ?? 0) > 0) throw new StoreError('BucketNotEmpty', `Bucket ${bucket} is not empty`);
    if (this.deleting.has(bucket)) throw new StoreError('NoSuchBucket', `No such bucket: ${bucket}`);
    this.deleting.add(bucket);
    try {
      await this.requireBucket(bucket);
      const entries = await this.index(bucket);
      if (entries.length > 0) throw new StoreError('BucketNotEmpty', `Bucket ${bucket} is not empty`);
      // Rename first so the bucket disappears at once, then remove at leisure.
      await fsp.mkdir(this.tmpDir, { recursive: true });
      const grave = path.join(this.tmpDir, `deleted-${rand()}`);
      await fsp.rename(this.bucketDir(bucket), grave);
      this.keyIndex.drop(bucket);
      await fsp.rm(grave, { recursive: true, force: true });
    } finally {
      this.deleting.delete(bucket);
    }
  }

  /** Runs a write to a bucket so that a concurrent DeleteBucket cannot remove the bucket under it. */
  private async writing<T>(bucket: string, fn: () => Promise<T>): Promise<T> {
    if (this.deleting.has(bucket)) throw new StoreError('NoSuchBucket', `No such bucket: ${bucket}`);
    this.writers.set(bucket, (this.writers.get(bucket) ?? 0) + 1);
    try {
      return await fn();
    } finally {
      const left = this.writers.get(bucket)! - 1;
      if (left > 0) this.writers.set(bucket, left);
      else this.writers.delete(bucket);
    }
  }

  // ---- objects ----

  async putObject(bucket: string, key: string, body: Buffer | Readable, opts: PutOptions = {}): Promise<ObjectInfo> {
    return this.writing(bucket, () => this.putObjectNow(bucket, key, body, opts));
  }

  private async putObjectNow(bucket: string, key: string, body: Buffer | Readable, opts: PutOptions): Promise<ObjectInfo> {
    await this.requireBucket(bucket);
    // Streamed to a temp file, fsynced, hashed as it goes; never held whole.
    const hash = createHash('md5');
    await fsp.mkdir(this.tmpDir, { recursive: true });
    const { tmp, size } = await spool(this.tmpDir, body, (chunk) => hash.update(chunk));
    const md5 = hash.digest('hex');
    const id = keyId(key);
    const dir = this.shardDir(bucket, id);
    const dataName = `${id}.${rand()}.data`;
    const meta: StoredMeta = {
      key,
      size,
      etag: opts.etag ?? `"${md5}"`,
      // S3 keeps whole seconds; so do we, so listings and Last-Modified agree.
      lastModified: new Date(Math.floor(Date.now() / 1000) * 1000).toISOString(),
      contentType: opts.contentType,
      metadata: opts.metadata ?? {},
      checksums: opts.checksums ?? {},
      data: dataName,
    };
    try {
      await this.withKeyLock(bucket, id, async () => {
        await this.requireBucket(bucket);
        await fsp.mkdir(dir, { recursive: true });
        await fsp.rename(tmp, path.join(dir, dataName));
        try {
          const old = await this.readMeta(dir, id).catch(() => undefined);
          await writeFileAtomic(path.join(dir, `${id}.json`), JSON.stringify(meta), this.tmpDir); // tmpDir made above
          if (old && old.data !== dataName) await fsp.rm(this.dataPath(dir, old), { force: true }).catch(() => undefined);
        } catch (err) {
          await fsp.rm(path.join(dir, dataName), { force: true });
          throw err;
        } finally {
          this.keyIndex.invalidate(bucket, id);
        }
      });
    } finally {
      await fsp.rm(tmp, { force: true });
    }
    return toInfo(meta);
  }

  async getObject(
    bucket: string,
    key: string,
    range?: { start: number; end: number },
  ): Promise<{ info: ObjectInfo; body: Readable }> {
    // An overwrite may remove the data file between reading the metadata and opening it: retry.
    for (let attempt = 0; ; attempt++) {
      const meta = await this.loadMeta(bucket, key);
      let fh: FileHandle;
      try {
        fh = await fsp.open(this.dataPath(this.shardDir(bucket, keyId(key)), meta), 'r');
      } catch (err) {
        if (isMissing(err) && attempt < 5) continue;
        if (isMissing(err)) throw new StoreError('NoSuchKey', `No such key: ${key}`);
        throw err;
      }
      const info = toInfo(meta);
      if (!range) return { info, body: fh.createReadStream() };
      if (range.start < 0 || range.start > range.end || range.start >= info.size) {
        await fh.close();
        throw new StoreError('InvalidRange', `Range ${range.start}-${range.end} not satisfiable for size ${info.size}`);
      }
      const end = Math.min(range.end, info.size - 1);
      return { info, body: fh.createReadStream({ start: range.start, end }) };
    }
  }

  async headObject(bucket: string, key: string): Promise<ObjectInfo> {
    return toInfo(await this.loadMeta(bucket, key));
  }

  async deleteObject(bucket: string, key: string): Promise<void> {
    await this.requireBucket(bucket);
    const id = keyId(key);
    const dir = this.shardDir(bucket, id);
    await this.withKeyLock(bucket, id, async () => {
      const meta = await this.readMeta(dir, id).catch(() => undefined);
      if (!meta) return;
      await fsp.rm(path.join(dir, `${id}.json`), { force: true });
      await fsp.rm(this.dataPath(dir, meta), { force: true }).catch(() => undefined);
      this.keyIndex.invalidate(bucket, id);
    });
  }

  async copyObject(
    srcBucket: string,
    srcKey: string,
    dstBucket: string,
    dstKey: string,
    opts: PutOptions & { replaceMetadata?: boolean } = {},
  ): Promise<ObjectInfo> {
    await this.requireBucket(dstBucket);
    // The source file stays readable through its open handle even if the copy overwrites it.
    const src = await this.getObject(srcBucket, srcKey);
    const replace = opts.replaceMetadata ?? false;
    return this.putObject(dstBucket, dstKey, src.body, {
      contentType: replace ? opts.contentType : src.info.contentType,
      metadata: replace ? opts.metadata : src.info.metadata,
      checksums: opts.checksums ?? src.info.checksums,
      etag: opts.etag,
    });
  }

  async listObjects(bucket: string, opts: ListOptions = {}): Promise<ListResult> {
    await this.requireBucket(bucket);
    return listSorted(await this.index(bucket), opts);
  }

  // ---- internals ----

  /**
   * The bucket's directory. Every filesystem path of a bucket goes through here: a name that is
   * not a safe directory name is "no such bucket" before anything on disk is touched, and the
   * resolved path must still lie directly under the root.
   */
  private bucketDir(bucket: string): string {
    const dir = path.resolve(this.root, bucket);
    if (!SAFE_BUCKET.test(bucket) || path.dirname(dir) !== path.resolve(this.root)) throw new StoreError('NoSuchBucket', `No such bucket: ${bucket}`);
    return dir;
  }

  private shardDir(bucket: string, id: string): string {
    return path.join(this.bucketDir(bucket), 'objects', id.slice(0, 2));
  }

  /**
   * The data file a metadata file names. Only a plain file name in the same shard directory is
   * accepted: a metadata file edited (or planted) to point elsewhere must not be served.
   */
  private dataPath(dir: string, meta: StoredMeta): string {
    const name = meta.data;
    if (typeof name !== 'string' || !DATA_FILE.test(name)) throw new StoreError('NoSuchKey', `No such key: ${String(meta.key)}`);
    return path.join(dir, name);
  }

  private async requireBucket(bucket: string): Promise<void> {
    if (!(await this.bucketExists(bucket))) throw new StoreError('NoSuchBucket', `No such bucket: ${bucket}`);
  }

  private async readBucketFile(bucket: string): Promise<{ creationDate: string; region?: string }> {
    if (!SAFE_BUCKET.test(bucket)) throw new StoreError('NoSuchBucket', `No such bucket: ${bucket}`);
    try {
      return JSON.parse(await fsp.readFile(path.join(this.bucketDir(bucket), BUCKET_FILE), 'utf8'));
    } catch (err) {
      if (isMissing(err)) throw new StoreError('NoSuchBucket', `No such bucket: ${bucket}`);
      throw err;
    }
  }

  private async readMeta(dir: string, id: string): Promise<StoredMeta> {
    return JSON.parse(await fsp.readFile(path.join(dir, `${id}.json`), 'utf8')) as StoredMeta;
  }

  private async loadMeta(bucket: string, key: string): Promise<StoredMeta> {
    const id = keyId(key);
    try {
      const meta = await this.readMeta(this.shardDir(bucket, id), id);
      // Guards against the (astronomically unlikely) hash collision.
      if (meta.key === key) return meta;
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
    await this.requireBucket(bucket);
    throw new StoreError('NoSuchKey', `No such key: ${key}`);
  }

  /** Serializes writers of one key in this process so their data files never leak. */
  private async withKeyLock<T>(bucket: string, id: string, fn: () => Promise<T>): Promise<T> {
    const lockId = `${bucket}/${id}`;
    const prev = this.locks.get(lockId) ?? Promise.resolve();
    let release!: () => void;
    const mine = prev.then(() => new Promise<void>((r) => (release = r)));
    this.locks.set(lockId, mine);
    await prev;
    try {
      return await fn();
    } finally {
      release();
      if (this.locks.get(lockId) === mine) this.locks.delete(lockId);
    }
  }

  /** All objects of a bucket in byte order (see FsKeyIndex). */
  private index(bucket: string): Promise<Entry[]> {
    return this.keyIndex.sorted(bucket, path.join(this.bucketDir(bucket), 'objects'));
  }
}
