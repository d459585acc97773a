import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';

/**
 * The project's one way to publish a file whole or not at all: the bytes go to a temporary file
 * in `tmpDir` (on the same filesystem as the destination, so the rename is atomic), are fsynced,
 * and only then renamed into place. A reader sees the old file or the new one, never a part, and
 * a crash leaves at most a stray temporary file.
 */

/** Writes every buffer, resuming after partial writes (writev may write less than asked). */
async function writeAll(fh: fsp.FileHandle, bufs: Buffer[]): Promise<void> {
  let pending = bufs;
  while (pending.length > 0) {
    const { bytesWritten } = await fh.writev(pending);
    let skip = bytesWritten;
    const rest: Buffer[] = [];
    for (const b of pending) {
      if (skip >= b.length) skip -= b.length;
      else {
        rest.push(skip > 0 ? b.subarray(skip) : b);
        skip = 0;
      }
    }
    pending = rest;
  }
}

/** Writes are batched up to this many bytes: one writev per MiB rather than one write per chunk. */
const WRITE_BATCH = 1 << 20;

export interface Spooled {
  /** The temporary file: hand it to `publish`, or remove it. */
  tmp: string;
  size: number;
}

/**
 * Streams `body` to a new temporary file in `tmpDir`, fsynced, never holding it whole;
 * `onChunk` sees every chunk in order (to hash it). On failure nothing is left behind. `tmpDir`
 * must exist: a caller whose directory has gone (an aborted upload) gets ENOENT, not a new one.
 */
export async function spool(tmpDir: string, body: Buffer | string | AsyncIterable<unknown>, onChunk?: (chunk: Buffer) => void): Promise<Spooled> {
  const tmp = path.join(tmpDir, `.tmp-${randomBytes(8).toString('hex')}`);
  const fh = await fsp.open(tmp, 'wx');
  let size = 0;
  try {
    let batch: Buffer[] = [];
    let batched = 0;
    const chunks: AsyncIterable<unknown> | Buffer[] = typeof body === 'string' ? [Buffer.from(body)] : Buffer.isBuffer(body) ? [body] : body;
    for await (const c of chunks) {
      const buf = Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array | string);
      onChunk?.(buf);
      size += buf.length;
      batch.push(buf);
      batched += buf.length;
      if (batched >= WRITE_BATCH) {
        await writeAll(fh, batch);
        batch = [];
        batched = 0;
      }
    }
    if (batched > 0) await writeAll(fh, batch);
    await fh.sync();
    await fh.close();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  return { tmp, size };
}

/** Renames a spooled file into place; if that fails, the temporary file is removed. */
export async function publish(tmp: string, file: string): Promise<void> {
  try {
    await fsp.rename(tmp, file);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
}

/** Replaces `file` with `data` atomically; the temporary file goes in `tmpDir` (default: beside it). */
export async function writeFileAtomic(file: string, data: Buffer | string, tmpDir = path.dirname(file)): Promise<void> {
  const { tmp } = await spool(tmpDir, data);
  await publish(tmp, file);
}
