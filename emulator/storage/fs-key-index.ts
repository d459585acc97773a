import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { isMissing, loadShards } from './fs-records.js';
import type { Entry } from './sorted-listing.js';

/**
 * Directory mtimes tick coarsely (kernel jiffies, <= 10 ms), so a change made in the same tick
 * as a scan can leave the mtime unchanged. A shard whose mtime was this close to the scan is
 * rescanned next time instead of trusted.
 */
const RACY_WINDOW_MS = 100;

interface ShardCache {
  mtimeMs: number;
  settled: boolean;
  entries: Entry[];
}

interface BucketIndex {
  shards: Map<string, ShardCache>;
  sorted?: Entry[];
}

/**
 * The embedded object store's listing index (layout in fs-object-store.ts): all objects of each
 * bucket in byte order, kept in memory and refreshed per shard directory when its mtime changes,
 * so other processes writing the same root are seen too.
 */
export class FsKeyIndex {
  private readonly buckets = new Map<string, BucketIndex>();

  /** The bucket's objects in byte order; `objectsDir` is its objects/ directory. */
  async sorted(bucket: string, objectsDir: string): Promise<Entry[]> {
    let idx = this.buckets.get(bucket);
    if (!idx) {
      idx = { shards: new Map() };
      this.buckets.set(bucket, idx);
    }
    let shardNames: string[];
    try {
      shardNames = await fsp.readdir(objectsDir);
    } catch (err) {
      if (!isMissing(err)) throw err;
      shardNames = [];
    }
    let changed = false;
    const present = new Set(shardNames);
    for (const name of idx.shards.keys()) {
      if (!present.has(name)) {
        idx.shards.delete(name);
        changed = true;
      }
    }
    const current = idx;
    const stale: { name: string; dir: string; mtimeMs: number; settled: boolean }[] = [];
    await Promise.all(
      shardNames.map(async (name) => {
        const dir = path.join(objectsDir, name);
        const scannedAt = Date.now();
        const st = await fsp.stat(dir).catch(() => undefined);
        if (!st) return;
        const cached = current.shards.get(name);
        if (cached && cached.settled && cached.mtimeMs === st.mtimeMs) return;
        stale.push({ name, dir, mtimeMs: st.mtimeMs, settled: scannedAt - st.mtimeMs > RACY_WINDOW_MS });
      }),
    );
    if (stale.length > 0) {
      const loaded = await loadShards(stale.map((s) => s.dir));
      stale.forEach((s, i) => current.shards.set(s.name, { mtimeMs: s.mtimeMs, settled: s.settled, entries: loaded[i] }));
      changed = true;
    }
    if (changed || !idx.sorted) {
      const all: Entry[] = [];
      for (const s of idx.shards.values()) all.push(...s.entries);
      all.sort((a, b) => Buffer.compare(a.bytes, b.bytes));
      idx.sorted = all;
    }
    return idx.sorted;
  }

  /** Forgets the shard of key id `id` after a write or delete there. */
  invalidate(bucket: string, id: string): void {
    const idx = this.buckets.get(bucket);
    if (!idx) return;
    idx.shards.delete(id.slice(0, 2));
    idx.sorted = undefined;
  }

  /** Forgets a bucket that was deleted. */
  drop(bucket: string): void {
    this.buckets.delete(bucket);
  }
}
