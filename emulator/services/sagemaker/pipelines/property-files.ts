import { parseS3Uri, readObject, type ObjectStore } from '../../../storage/object-store.js';
import type { StepDef } from './definition.js';
import { ExpressionError } from './expressions.js';

/** A Processing step's `PropertyFiles` entry, as the SDK's PropertyFile.expr writes it. */
export interface PropertyFileDef {
  PropertyFileName: string;
  OutputName: string;
  FilePath: string;
}

/**
 * A JSON document is read whole to evaluate a path in it; this bounds what one JsonGet holds in
 * memory (a property file is a small report: metrics, a status).
 */
const MAX_JSON_BYTES = 16 * 1024 * 1024;

/** The PropertyFiles a step declares (an empty list when none, or when the entry is malformed). */
export function propertyFilesOf(def: StepDef): PropertyFileDef[] {
  return (Array.isArray(def.PropertyFiles) ? def.PropertyFiles : []).filter(
    (p): p is PropertyFileDef => !!p && typeof p === 'object' && typeof (p as PropertyFileDef).PropertyFileName === 'string',
  );
}

/** Reads and parses a JSON object from the object store; a missing or unparsable one is an ExpressionError. */
export async function readJson(store: ObjectStore, uri: string): Promise<unknown> {
  let bucket: string;
  let key: string;
  try {
    ({ bucket, key } = parseS3Uri(uri));
  } catch {
    throw new ExpressionError(`${uri} is not an s3:// URI.`);
  }
  let body: Buffer;
  try {
    const head = await store.headObject(bucket, key);
    if (head.size > MAX_JSON_BYTES) throw new ExpressionError(`The JSON file ${uri} is ${head.size} bytes; localsage reads JSON files of at most ${MAX_JSON_BYTES} bytes.`);
    body = await readObject(store, bucket, key);
  } catch (e) {
    if (e instanceof ExpressionError) throw e;
    throw new ExpressionError(`Unable to read the JSON file ${uri}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw new ExpressionError(`The file ${uri} is not valid JSON: ${(e as Error).message}`);
  }
}

/**
 * Where a finished Processing step's property file lies: the S3Uri of the output it names
 * (from the job's Describe output, the step's properties) joined with its FilePath.
 */
export function propertyFileUri(def: StepDef, properties: any, name: string): string {
  const file = propertyFilesOf(def).find((p) => p.PropertyFileName === name);
  if (!file) throw new ExpressionError(`Step ${def.Name} declares no property file named ${name}.`);
  const outputs: any[] = properties?.ProcessingOutputConfig?.Outputs ?? [];
  const output = outputs.find((o) => o?.OutputName === file.OutputName);
  const base = output?.S3Output?.S3Uri;
  if (typeof base !== 'string') throw new ExpressionError(`Property file ${name} of step ${def.Name} names output ${file.OutputName}, which the processing job does not have.`);
  return `${base.replace(/\/+$/, '')}/${file.FilePath.replace(/^\/+/, '')}`;
}
