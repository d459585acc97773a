import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { ObjectInfo } from './object-store.js';
import type { Entry } from './sorted-listing.js';

/**
 * The embedded store's files (layout in fs-object-store.ts): the metadata record of an object,
 * reading many of them back, and writing data buffers out in full.
 */

/** Metadata files read at once when (re)loading shards: bounded to stay clear of EMFILE. */
const LOAD_CONCURRENCY = 64;

/** An object's metadata file (<h>.json), the commit point of a write. */
export interface StoredMeta {
  key: string;
  size: number;
  etag: string;
  lastModified: string;
  contentType?: string;
  metadata?: Record<string, string>;
  checksums?: Record<string, string>;
  /** File name of the bytes, in the same shard directory. */
  data: string;
}

export const isMissing = (err: unknown) => (err as NodeJS.ErrnoException)?.code === 'ENOENT';

export function toInfo(meta: StoredMeta): ObjectInfo {
  return {
    key: meta.key,
    size: meta.size,
    etag: meta.etag,
    lastModified: new Date(meta.lastModified),
    contentType: meta.contentType,
    metadata: meta.metadata ?? {},
    checksums: meta.checksums ?? {},
  };
}

/** Reads the metadata of every object in the given shard directories. */
export async function loadShards(dirs: string[]): Promise<Entry[][]> {
  const result: Entry[][] = dirs.map(() => []);
  const files: { shard: number; file: string }[] = [];
  await Promise.all(
    dirs.map(async (dir, shard) => {
      const names = await fsp.readdir(dir).catch((err) => {
        if (isMissing(err)) return [] as string[];
        throw err;
      });
      for (const name of names) if (name.endsWith('.json')) files.push({ shard, file: path.join(dir, name) });
    }),
  );
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const { shard, file } = files[next++];
      try {
        const meta = JSON.parse(await fsp.readFile(file, 'utf8')) as StoredMeta;
        result[shard].push({ key: meta.key, bytes: Buffer.from(meta.key, 'utf8'), info: toInfo(meta) });
      } catch {
        // Deleted since readdir: not an object any more.
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(LOAD_CONCURRENCY, files.length) }, worker));
  return result;
}
