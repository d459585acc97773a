import { promises as fsp } from 'node:fs';
import { join } from 'node:path';

/**
 * What a process killed mid-work leaves under the data dir, removed at start-up before anything
 * runs (so nothing of this run can be in use):
 *  - `s3/.tmp/*`: uploads and metadata writes that never reached their commit rename;
 *  - `multipart/<id>/.tmp-*`: parts whose stream never finished (the uploads themselves stay:
 *    S3 keeps an incomplete multipart upload until it is completed or aborted);
 *  - `training/`, `processing/`: the work directories of jobs that were running (a restart fails them);
 *  - `serving/`: container endpoints' model and code copies (every deploy makes a fresh one).
 * Returns how many entries were removed.
 */
export async function reclaimStaleFiles(dataDir: string): Promise<number> {
  let removed = 0;
  const remove = async (p: string) => {
    await fsp.rm(p, { recursive: true, force: true });
    removed++;
  };
  for (const name of await children(join(dataDir, 's3', '.tmp'))) await remove(join(dataDir, 's3', '.tmp', name));
  for (const upload of await children(join(dataDir, 'multipart'))) {
    for (const name of await children(join(dataDir, 'multipart', upload))) if (name.startsWith('.tmp-')) await remove(join(dataDir, 'multipart', upload, name));
  }
  for (const dir of ['training', 'processing', 'serving']) if ((await children(join(dataDir, dir))).length) await remove(join(dataDir, dir));
  return removed;
}

async function children(dir: string): Promise<string[]> {
  try {
    return await fsp.readdir(dir);
  } catch {
    return [];
  }
}
