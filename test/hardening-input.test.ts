import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { ListEndpointsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';

/**
 * Bad input that once slipped past validation or reached the filesystem: each answer must be the
 * 4xx AWS gives, never a 500, and the process must still answer afterwards.
 */
let emu: EmulatorProcess;
let port: number;
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

beforeAll(async () => {
  emu = await startEmulatorProcess();
  port = Number(new URL(emu.url).port);
}, 60_000);

afterAll(async () => {
  await emu?.stop();
  if (emu) removeDir(emu.dataDir);
});

/** A raw request: the SDKs would refuse to send most of these, and fetch would normalize `..`. */
function raw(method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((ok, fail) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode!, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`no answer to ${method} ${path}`)));
    req.on('error', fail);
    req.end(body);
  });
}

const sagemaker = (operation: string, body: string) =>
  raw('POST', '/', { 'x-amz-target': `SageMaker.${operation}`, 'content-type': 'application/x-amz-json-1.1' }, body);

describe('JSON protocols', () => {
  it('dispatches only the model’s own operation names', async () => {
    for (const name of ['__proto__', 'hasOwnProperty', 'constructor', 'toString']) {
      const r = await sagemaker(name, '{}');
      expect(r.status, name).toBe(400);
      expect(JSON.parse(r.body).__type).toBe('UnknownOperationException');
    }
  });

  it('reads a body of null as no members, and refuses a body that is not an object', async () => {
    expect((await sagemaker('ListEndpoints', 'null')).status).toBe(200);
    const missing = await sagemaker('DescribeEndpoint', 'null');
    expect(missing.status).toBe(400);
    expect(JSON.parse(missing.body).message).toMatch(/Value null at 'endpointName'/);
    for (const body of ['[1]', '3', '"x"', 'true']) {
      const r = await sagemaker('ListEndpoints', body);
      expect(r.status, body).toBe(400);
      expect(JSON.parse(r.body).__type).toBe('SerializationException');
    }
  });

  it('never lets a member named __proto__ stand in for the input’s prototype', async () => {
    // Were `__proto__` taken as the prototype, EndpointName would be inherited from it and found.
    const r = await sagemaker('DescribeEndpoint', '{"__proto__":{"EndpointName":"inherited"}}');
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).message).toMatch(/Value null at 'endpointName'/);
    // A map key `__proto__` is an ordinary key: it is validated like any other.
    const tags = await sagemaker('AddTags', '{"ResourceArn":"arn:aws:sagemaker:us-east-1:123456789012:endpoint/x","Tags":[{"__proto__":{"Key":"k","Value":"v"}}]}');
    expect(tags.status).toBe(400);
    expect(JSON.parse(tags.body).message).toMatch(/Value null at 'tags.1.member.key'/);
  });

  it('bounds the validation message of an over-long list holding a deeply nested element', async () => {
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    const body = `{"Tags":[${Array(60).fill('{"Key":"k","Value":"v"}').join(',')},{"Key":"k","Value":"v","X":${deep}}],"ResourceArn":"arn:aws:sagemaker:us-east-1:123456789012:endpoint/x"}`;
    const r = await sagemaker('AddTags', body);
    expect(r.status).toBe(400);
    const message = JSON.parse(r.body).message as string;
    expect(message).toMatch(/Member must have length less than or equal to 50/);
    expect(message.length).toBeLessThan(4096);
  });

  it('answers the query protocol’s unknown versions and actions with AWS errors', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    for (const version of ['__proto__', 'constructor', 'hasOwnProperty']) {
      const r = await raw('POST', '/', form, `Action=GetCallerIdentity&Version=${version}`);
      expect(r.status, version).toBe(400);
      expect(r.body).toContain('<Code>InvalidAction</Code>');
      expect(r.body).not.toContain('TypeError');
    }
    const action = await raw('POST', '/', form, 'Action=__proto__&Version=2010-08-01');
    expect(action.status).toBe(400);
    expect(action.body).toContain('<Code>InvalidAction</Code>');
    // A parameter path through __proto__ must not reach Object.prototype.
    const polluted = await raw('POST', '/', form, 'Action=ListMetrics&Version=2010-08-01&__proto__.polluted=1&Namespace=AWS%2FSageMaker');
    expect(polluted.status).toBe(200);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses malformed %-escapes in invocation and rpc-v2-cbor paths with a 400', async () => {
    const invoke = await raw('POST', '/endpoints/%zz/invocations', { 'content-type': 'text/csv' }, '1,2');
    expect(invoke.status).toBe(400);
    const cbor = await raw('POST', '/service/%zz/operation/ListMetrics', { 'smithy-protocol': 'rpc-v2-cbor', 'content-type': 'application/cbor' });
    expect(cbor.status).toBe(400);
  });
});

describe('S3', () => {
  const s3 = () => new S3Client({ endpoint: emu.url, region: 'us-east-1', forcePathStyle: true, credentials });

  it('refuses a DOCTYPE and a 100k-deep document in CompleteMultipartUpload as MalformedXML', async () => {
    await s3().send(new CreateBucketCommand({ Bucket: 'xml-bombs' }));
    const create = await raw('POST', '/xml-bombs/k?uploads');
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(create.body)![1];
    const doctype = '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&b;</ETag></Part></CompleteMultipartUpload>';
    const deep = `<CompleteMultipartUpload>${'<a>'.repeat(100_000)}${'</a>'.repeat(100_000)}</CompleteMultipartUpload>`;
    for (const body of [doctype, deep]) {
      const r = await raw('POST', `/xml-bombs/k?uploadId=${encodeURIComponent(uploadId)}`, { 'content-type': 'application/xml' }, body);
      expect(r.status).toBe(400);
      expect(r.body).toContain('<Code>MalformedXML</Code>');
    }
  });

  it('refuses bucket names no bucket can have before touching the filesystem', async () => {
    for (const path of ['/a%00b/k', `/${'a'.repeat(300)}/k`, '/..%2F..%2Foutside/k', '/..%2Foutside/k', '/a%2Fb/k']) {
      const r = await raw('GET', path);
      expect(r.status, path).toBe(400);
      expect(r.body).toContain('<Code>InvalidBucketName</Code>');
    }
  });

  it('serves nothing outside the data dir: a traversal bucket or a planted metadata file', async () => {
    // A directory beside the store that looks like a bucket holding one object.
    const outside = join(emu.dataDir, 'outside');
    mkdirSync(join(outside, 'objects', 'ab'), { recursive: true });
    writeFileSync(join(outside, '.bucket.json'), '{"creationDate":"2020-01-01T00:00:00.000Z"}');
    writeFileSync(join(emu.dataDir, 'secret.txt'), 'host secret');
    const traversal = await raw('GET', '/..%2Foutside?list-type=2');
    expect(traversal.status).toBe(400);
    expect(traversal.body).not.toContain('Contents');

    // A real object whose metadata file is then edited to point at a file outside the store.
    const client = s3();
    await client.send(new CreateBucketCommand({ Bucket: 'planted' }));
    await client.send(new PutObjectCommand({ Bucket: 'planted', Key: 'k', Body: 'real bytes' }));
    const bucketDir = join(emu.dataDir, 's3', 'planted', 'objects');
    const shard = join(bucketDir, readdirSync(bucketDir)[0]);
    const metaFile = join(shard, readdirSync(shard).find((n) => n.endsWith('.json'))!);
    const meta = JSON.parse(readFileSync(metaFile, 'utf8'));
    for (const target of ['../../../../secret.txt', join(emu.dataDir, 'secret.txt')]) {
      writeFileSync(metaFile, JSON.stringify({ ...meta, data: target }));
      const err = await client.send(new GetObjectCommand({ Bucket: 'planted', Key: 'k' })).catch((e) => e);
      expect(err).toBeInstanceOf(S3ServiceException);
      expect((err as S3ServiceException).name).toBe('NoSuchKey');
    }
  });
});

it('still answers after all of the above', async () => {
  const sm = new SageMakerClient({ endpoint: emu.url, region: 'us-east-1', credentials });
  expect((await sm.send(new ListEndpointsCommand({}))).Endpoints).toBeDefined();
  expect(emu.proc.exitCode).toBeNull();
});
