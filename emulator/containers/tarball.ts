/** tar.gz to and from a directory (model.tar.gz, sourcedir.tar.gz), as SageMaker packs them. */
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';

async function walk(root: string, dir = root): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const path = join(dir, name);
    const st = await lstat(path);
    if (st.isDirectory()) out.push(...(await walk(root, path)));
    else if (st.isFile()) out.push(path);
  }
  return out;
}

/** Packs every regular file under `dir`, with paths relative to it. */
export async function packDirectory(dir: string): Promise<Buffer> {
  const pack = tar.pack();
  const files = await walk(dir);
  const collect = (async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of pack as unknown as AsyncIterable<Buffer>) chunks.push(chunk);
    return Buffer.concat(chunks);
  })();
  for (const file of files) {
    const body = await readFile(file);
    await new Promise<void>((ok, fail) => pack.entry({ name: relative(dir, file).split(sep).join('/'), size: body.length, mode: 0o644 }, body, (e) => (e ? fail(e) : ok())));
  }
  pack.finalize();
  return gzipSync(await collect);
}

/** Unpacks a tar.gz (or plain tar) into `dir`; entries that would escape it are refused. */
export async function unpackInto(archive: Buffer, dir: string, what: string): Promise<void> {
  let tarBytes: Buffer;
  try {
    tarBytes = archive[0] === 0x1f && archive[1] === 0x8b ? gunzipSync(archive) : archive;
  } catch (e) {
    throw new Error(`${what} is not a valid gzip file: ${(e as Error).message}`);
  }
  const root = resolve(dir);
  await mkdir(root, { recursive: true });
  const extract = tar.extract();
  Readable.from([tarBytes]).pipe(extract);
  try {
    for await (const entry of extract) {
      const target = resolve(root, entry.header.name);
      if (target !== root && !target.startsWith(root + sep)) throw new Error(`entry ${entry.header.name} points outside the archive`);
      if (entry.header.type === 'directory') await mkdir(target, { recursive: true });
      else if (entry.header.type === 'file') {
        await mkdir(dirname(target), { recursive: true });
        await pipeline(entry, createWriteStream(target, { mode: (entry.header.mode ?? 0o644) | 0o600 }));
        continue;
      }
      entry.resume();
    }
  } catch (e) {
    throw new Error(`${what} is not a valid tar archive: ${(e as Error).message}`);
  }
}
