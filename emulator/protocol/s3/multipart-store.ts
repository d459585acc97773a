import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { publish, spool, writeFileAtomic } from '../../../core/atomic-file.js';
import type { ChecksumAlgorithm } from './checksums.js';
import { s3Error } from './errors.js';

/**
 * In-progress multipart uploads, kept on disk under `<dataDir>/multipart/<uploadId>/` apart
 * from the object store, so uploads work the same over the embedded store and MinIO: parts are
 * only handed to the store, concatenated, on completion.
 */
export interface UploadRecord {
  uploadId: string;
  bucket: string;
  key: string;
  initiated: string;
  contentType?: string;
  metadata: Record<string, string>;
  checksumAlgorithm?: ChecksumAlgorithm;
}

export interface PartRecord {
  partNumber: number;
  etag: string; // quoted
  size: number;
  lastModified: string;
  checksums: Record<string, string>;
}

const UPLOAD_ID = /^[A-Za-z0-9_-]{16,128}$/;
const UPLOAD_FILE = 'upload.json';

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException)?.code === 'ENOENT';

export class MultipartStore {
  constructor(private readonly dir: string) {}

  async create(init: Omit<UploadRecord, 'uploadId' | 'initiated'>): Promise<UploadRecord> {
    const record: UploadRecord = {
      ...init,
      uploadId: randomBytes(24).toString('base64url'),
      initiated: new Date().toISOString(),
    };
    const dir = this.uploadDir(record.uploadId);
    await fsp.mkdir(dir, { recursive: true });
    await this.writeJson(dir, UPLOAD_FILE, record);
    return record;
  }

  /** The upload, which must belong to this bucket and key; NoSuchUpload otherwise. */
  async get(uploadId: string, bucket: string, key: string): Promise<UploadRecord> {
    const noSuchUpload = () => s3Error('NoSuchUpload', { UploadId: uploadId });
    if (!UPLOAD_ID.test(uploadId)) throw noSuchUpload();
    try {
      const record = JSON.parse(await fsp.readFile(path.join(this.uploadDir(uploadId), UPLOAD_FILE), 'utf8')) as UploadRecord;
      if (record.bucket !== bucket || record.key !== key) throw noSuchUpload();
      return record;
    } catch (err) {
      if (isMissing(err) || err instanceof SyntaxError) throw noSuchUpload();
      throw err;
    }
  }

  /** Stores one part from an already verified stream; a failed stream leaves no part behind. */
  async putPart(upload: UploadRecord, partNumber: number, body: Readable, checksums: Record<string, string>): Promise<PartRecord> {
    const dir = this.uploadDir(upload.uploadId);
    const md5 = createHash('md5');
    const { tmp, size } = await spool(dir, body, (chunk) => md5.update(chunk)).catch((err) => {
      if (isMissing(err)) throw s3Error('NoSuchUpload', { UploadId: upload.uploadId });
      throw err;
    });
    const part: PartRecord = {
      partNumber,
      etag: `"${md5.digest('hex')}"`,
      size,
      lastModified: new Date().toISOString(),
      // Read after the stream ended: the verifier fills it in at the end.
      checksums: { ...checksums },
    };
    try {
      await publish(tmp, this.partFile(upload.uploadId, partNumber));
      await this.writeJson(dir, `${partNumber}.json`, part);
    } catch (err) {
      await fsp.rm(tmp, { force: true });
      if (isMissing(err)) throw s3Error('NoSuchUpload', { UploadId: upload.uploadId });
      throw err;
    }
    return part;
  }

  async listParts(uploadId: string): Promise<PartRecord[]> {
    const dir = this.uploadDir(uploadId);
    const names = await fsp.readdir(dir).catch(() => [] as string[]);
    const parts: PartRecord[] = [];
    for (const name of names) {
      if (!/^\d+\.json$/.test(name)) continue;
      try {
        parts.push(JSON.parse(await fsp.readFile(path.join(dir, name), 'utf8')) as PartRecord);
      } catch {
        // being replaced
      }
    }
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }

  partStream(uploadId: string, partNumber: number): Readable {
    return createReadStream(this.partFile(uploadId, partNumber));
  }

  async remove(uploadId: string): Promise<void> {
    if (!UPLOAD_ID.test(uploadId)) return;
    await fsp.rm(this.uploadDir(uploadId), { recursive: true, force: true });
  }

  async list(bucket: string): Promise<UploadRecord[]> {
    const ids = await fsp.readdir(this.dir).catch(() => [] as string[]);
    const out: UploadRecord[] = [];
    for (const id of ids) {
      if (!UPLOAD_ID.test(id)) continue;
      try {
        const record = JSON.parse(await fsp.readFile(path.join(this.uploadDir(id), UPLOAD_FILE), 'utf8')) as UploadRecord;
        if (record.bucket === bucket) out.push(record);
      } catch {
        // completed or aborted meanwhile
      }
    }
    return out.sort((a, b) => (a.key === b.key ? a.initiated.localeCompare(b.initiated) : Buffer.compare(Buffer.from(a.key), Buffer.from(b.key))));
  }

  private uploadDir(uploadId: string): string {
    return path.join(this.dir, uploadId);
  }

  private partFile(uploadId: string, partNumber: number): string {
    return path.join(this.uploadDir(uploadId), `${partNumber}.part`);
  }

  private async writeJson(dir: string, name: string, value: unknown): Promise<void> {
    await writeFileAtomic(path.join(dir, name), JSON.stringify(value), dir);
  }
}
