/**
 * A processing instance's data: its share of each S3 input downloaded under its own /opt/ml tree
 * before the container starts, and its output directories uploaded under their S3Uri (at the end,
 * and while it runs for `Continuous` outputs).
 */
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { DescribeProcessingJobResponse, ProcessingS3Input } from '@aws-sdk/client-sagemaker';
import { parseS3Uri, type ObjectStore } from '../storage/object-store.js';
import { ChannelDataError, resolveObjects, type SourceObject } from '../training/channels.js';

const OPT_ML = '/opt/ml';

/** Where a container path lands in this instance's tree (paths outside /opt/ml are used as they are). */
export function localPath(root: string, containerPath: string): string {
  return containerPath === OPT_ML || containerPath.startsWith(`${OPT_ML}/`) ? join(root, containerPath.slice(OPT_ML.length)) : containerPath;
}

/** The objects of every S3 input, listed once for all the job's instances (input name -> objects). */
export async function listInputs(store: ObjectStore, job: DescribeProcessingJobResponse): Promise<Map<string, SourceObject[]>> {
  const out = new Map<string, SourceObject[]>();
  for (const input of job.ProcessingInputs ?? []) {
    const s3 = input.S3Input;
    if (!s3?.LocalPath) continue; // an AppManaged input without a LocalPath: the application fetches it
    let objects: SourceObject[];
    try {
      objects = await resolveObjects(store, s3.S3DataType ?? 'S3Prefix', s3.S3Uri!);
    } catch (e) {
      if (e instanceof ChannelDataError) throw e;
      throw new ChannelDataError(`Unable to list the input data under ${s3.S3Uri}: ${(e as Error).message}`);
    }
    if (!objects.length) throw new ChannelDataError(`No S3 objects found under S3 URL "${s3.S3Uri}" given in input data source.`);
    out.set(input.InputName!, objects);
  }
  return out;
}

/**
 * The objects host number `index` of `count` gets: all of them (FullyReplicated), or, with
 * ShardedByS3Key, every count-th object in key order starting at its own index, as training
 * channels are sharded. A host may get none when there are fewer objects than hosts.
 */
export function shareOf(objects: SourceObject[], s3: ProcessingS3Input, index: number, count: number): SourceObject[] {
  if (s3.S3DataDistributionType !== 'ShardedByS3Key' || count === 1) return objects;
  return objects.filter((_, i) => i % count === index);
}

/** Downloads one host's share of every S3 input to its LocalPath, keeping the keys' sub-folders. */
export async function downloadInputs(store: ObjectStore, job: DescribeProcessingJobResponse, listed: Map<string, SourceObject[]>, root: string, index: number, count: number): Promise<void> {
  for (const input of job.ProcessingInputs ?? []) {
    const s3 = input.S3Input;
    if (!s3?.LocalPath) continue;
    const dir = localPath(root, s3.LocalPath);
    await mkdir(dir, { recursive: true });
    const { key: prefix } = parseS3Uri(s3.S3Uri!);
    for (const o of shareOf(listed.get(input.InputName!) ?? [], s3, index, count)) {
      // Keys below the prefix keep their sub-folders; an exact key lands as its own name.
      const rel = s3.S3DataType !== 'ManifestFile' && o.key.startsWith(prefix) && o.key !== prefix ? o.key.slice(prefix.length).replace(/^\/+/, '') : o.key.split('/').pop()!;
      const path = join(dir, rel);
      // A key with `..` segments must not write outside the input's folder.
      if (!path.startsWith(`${resolve(dir)}/`)) throw new ChannelDataError(`The S3 object s3://${o.bucket}/${o.key} cannot be placed under ${s3.LocalPath}: its key leaves the folder.`);
      await mkdir(dirname(path), { recursive: true });
      try {
        const { body } = await store.getObject(o.bucket, o.key);
        await pipeline(body, createWriteStream(path));
      } catch (e) {
        throw new ChannelDataError(`Unable to download the input data from s3://${o.bucket}/${o.key}: ${(e as Error).message}`);
      }
    }
  }
}

async function walk(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/**
 * Uploads one host's output directories under their S3Uri. Every host of a job uploads under the
 * same prefix, so files of different hosts sit side by side and a name two hosts both write is the
 * one uploaded last. `only` limits the upload to some outputs; `seen` (path -> size and mtime)
 * skips files unchanged since an earlier upload, for Continuous outputs uploaded again and again.
 */
export async function uploadOutputs(
  store: ObjectStore,
  job: DescribeProcessingJobResponse,
  root: string,
  opts: { only?: (mode: string) => boolean; seen?: Map<string, string> } = {},
): Promise<void> {
  for (const output of job.ProcessingOutputConfig?.Outputs ?? []) {
    const s3 = output.S3Output;
    if (!s3?.LocalPath || (opts.only && !opts.only(s3.S3UploadMode ?? 'EndOfJob'))) continue;
    const dir = localPath(root, s3.LocalPath);
    const { bucket, key } = parseS3Uri(s3.S3Uri!);
    for (const file of await walk(dir)) {
      let version: string;
      try {
        const st = await stat(file);
        version = `${st.size}:${st.mtimeMs}`;
      } catch {
        continue; // removed by the script since the listing
      }
      if (opts.seen?.get(file) === version) continue;
      const rel = relative(dir, file).split('\\').join('/');
      const target = `${key.replace(/\/+$/, '')}/${rel}`.replace(/^\/+/, '');
      let body: Buffer;
      try {
        body = await readFile(file);
      } catch {
        continue;
      }
      await store.putObject(bucket, target, body);
      opts.seen?.set(file, version);
    }
  }
}
