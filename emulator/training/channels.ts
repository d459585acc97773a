import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Channel } from '@aws-sdk/client-sagemaker';
import type { ChannelFiles } from '../../algorithms/index.js';
import { listAll, parseS3Uri, readObject, type ObjectStore } from '../storage/object-store.js';

/** A channel's data could not be fetched: the job fails as a ClientError, as on AWS. */
export class ChannelDataError extends Error {}

export interface SourceObject {
  bucket: string;
  key: string;
}

/**
 * File mode as SageMaker does it: every channel's objects are copied to local disk before the
 * algorithm starts, under `<dir>/<channel>/`. ShardedByS3Key gives each host every n-th object;
 * FullyReplicated gives every host all of them. Pipe and FastFile are served the same way.
 */
export async function downloadChannels(
  store: ObjectStore,
  channels: Channel[],
  hosts: string[],
  dir: string,
): Promise<Map<string, ChannelFiles[]>> {
  const perHost = new Map<string, ChannelFiles[]>(hosts.map((h) => [h, []]));
  for (const channel of channels) {
    const s3 = channel.DataSource?.S3DataSource;
    if (!s3?.S3Uri) throw new ChannelDataError(`Channel ${channel.ChannelName} has no S3 data source.`);
    const objects = await unreachable(s3.S3Uri, () => resolveObjects(store, s3.S3DataType ?? 'S3Prefix', s3.S3Uri!));
    if (!objects.length) {
      throw new ChannelDataError(`No S3 objects found under S3 URL "${s3.S3Uri}" given in input data source. Please ensure that the bucket exists in the selected region (us-east-1), that objects exist under that S3 prefix, and that the role has permission to read them.`);
    }
    const local: string[] = [];
    const channelDir = join(dir, channel.ChannelName!);
    await mkdir(channelDir, { recursive: true });
    for (let i = 0; i < objects.length; i++) {
      const o = objects[i];
      const path = join(channelDir, `${String(i).padStart(6, '0')}-${o.key.split('/').pop() || 'object'}`);
      await unreachable(`s3://${o.bucket}/${o.key}`, async () => {
        const { body } = await store.getObject(o.bucket, o.key);
        await pipeline(body, createWriteStream(path));
      });
      local.push(path);
    }
    const sharded = s3.S3DataDistributionType === 'ShardedByS3Key';
    hosts.forEach((host, h) => {
      const files = sharded ? local.filter((_, i) => i % hosts.length === h) : local;
      perHost.get(host)!.push({
        name: channel.ChannelName!,
        contentType: channel.ContentType,
        compression: channel.CompressionType === 'Gzip' ? 'Gzip' : 'None',
        files,
      });
    });
  }
  return perHost;
}

/**
 * An object store that stops answering mid-download (an external MinIO gone away) fails the job
 * with a message that names the S3 location, not as an error of the algorithm.
 */
async function unreachable<T>(where: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ChannelDataError) throw e;
    throw new ChannelDataError(`Unable to download the input data from ${where}: ${(e as Error)?.message ?? String(e)}`);
  }
}

/** The objects an S3DataSource names: every object under an S3Prefix, or a manifest's list. */
export async function resolveObjects(store: ObjectStore, type: string, uri: string): Promise<SourceObject[]> {
  const { bucket, key } = parseS3Uri(uri);
  if (!(await store.bucketExists(bucket))) return [];
  if (type === 'ManifestFile') return readManifest(store, bucket, key);
  // S3Prefix: every object whose key starts with the prefix; "folder" markers carry no data.
  const objects = await listAll(store, bucket, key);
  return objects.filter((o) => !o.key.endsWith('/')).map((o) => ({ bucket, key: o.key }));
}

/** A manifest is `[{"prefix": "s3://b/p/"}, "rel1", "rel2", ...]` (the Python SDK's `.amazon.manifest`). */
async function readManifest(store: ObjectStore, bucket: string, key: string): Promise<SourceObject[]> {
  let manifest: unknown;
  try {
    manifest = JSON.parse((await readObject(store, bucket, key)).toString('utf8'));
  } catch (e) {
    throw new ChannelDataError(`Unable to read manifest file s3://${bucket}/${key}: ${(e as Error).message}`);
  }
  if (!Array.isArray(manifest) || typeof manifest[0]?.prefix !== 'string') {
    throw new ChannelDataError(`Manifest file s3://${bucket}/${key} is not a valid manifest: the first element must be {"prefix": "s3://..."}.`);
  }
  const prefix = parseS3Uri(manifest[0].prefix);
  return manifest.slice(1).map((rel: unknown) => {
    if (typeof rel !== 'string') throw new ChannelDataError(`Manifest file s3://${bucket}/${key} holds an entry that is not a string.`);
    return { bucket: prefix.bucket, key: prefix.key + rel };
  });
}
