import { spawnSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignatureV4 } from '@smithy/signature-v4';
import { CloudWatchClient, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ListEndpointsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';

/** `--auth sigv4`: every protocol verifies signatures against the configured keys. */
const RIGHT = { accessKeyId: 'AKIDLOCALSAGE', secretAccessKey: 'right-secret' };
const WRONG_SECRET = { accessKeyId: 'AKIDLOCALSAGE', secretAccessKey: 'wrong-secret' };
const UNKNOWN_KEY = { accessKeyId: 'AKIDUNKNOWN', secretAccessKey: 'right-secret' };
let emu: EmulatorProcess;
let keyDir: string;

beforeAll(async () => {
  // The keys come from a file (@path), as a user keeps them out of the process list.
  keyDir = mkdtempSync(join(tmpdir(), 'localsage-keys-'));
  const keyFile = join(keyDir, 'keys');
  writeFileSync(keyFile, `# accepted keys\n${RIGHT.accessKeyId}:${RIGHT.secretAccessKey}\n\nother:x\n`);
  emu = await startEmulatorProcess({ args: ['--auth', 'sigv4', '--access-keys', `@${keyFile}`] });
}, 60_000);

afterAll(async () => {
  await emu?.stop();
  if (emu) removeDir(emu.dataDir);
  if (keyDir) removeDir(keyDir);
});

const region = 'us-east-1';
const clientsWith = (credentials: typeof RIGHT) => ({
  sagemaker: new SageMakerClient({ endpoint: emu.url, region, credentials }),
  runtime: new SageMakerRuntimeClient({ endpoint: emu.url, region, credentials }),
  s3: new S3Client({ endpoint: emu.url, region, credentials, forcePathStyle: true }),
  sts: new STSClient({ endpoint: emu.url, region, credentials }),
  cloudwatch: new CloudWatchClient({ endpoint: emu.url, region, credentials }),
});

const errorOf = (p: Promise<unknown>) => p.then(() => ({ name: 'no error', message: '' }), (e: Error) => e);

describe('JS SDK v3', () => {
  it('accepts the right key on every protocol', async () => {
    const c = clientsWith(RIGHT);
    expect((await c.sagemaker.send(new ListEndpointsCommand({}))).Endpoints).toEqual([]);
    await c.s3.send(new CreateBucketCommand({ Bucket: 'signed' }));
    await c.s3.send(new PutObjectCommand({ Bucket: 'signed', Key: 'dir/a b+c.txt', Body: 'payload' }));
    expect(await (await c.s3.send(new GetObjectCommand({ Bucket: 'signed', Key: 'dir/a b+c.txt' }))).Body!.transformToString()).toBe('payload');
    expect((await c.sts.send(new GetCallerIdentityCommand({}))).Arn).toBeTruthy();
    expect((await c.cloudwatch.send(new ListMetricsCommand({ Namespace: 'AWS/SageMaker' }))).Metrics).toEqual([]);
    // The runtime verifies the signature before it looks for the endpoint.
    const missing = await errorOf(c.runtime.send(new InvokeEndpointCommand({ EndpointName: 'nowhere', Body: Buffer.from('1,2'), ContentType: 'text/csv' })));
    expect(missing.name).toBe('ValidationError');
  });

  it('refuses a wrong secret with each front end’s signature error', async () => {
    const c = clientsWith(WRONG_SECRET);
    expect((await errorOf(c.sagemaker.send(new ListEndpointsCommand({})))).name).toBe('InvalidSignatureException');
    expect((await errorOf(c.runtime.send(new InvokeEndpointCommand({ EndpointName: 'nowhere', Body: Buffer.from('1,2'), ContentType: 'text/csv' })))).name).toBe('InvalidSignatureException');
    expect((await errorOf(c.s3.send(new GetObjectCommand({ Bucket: 'signed', Key: 'dir/a b+c.txt' })))).name).toBe('SignatureDoesNotMatch');
    expect((await errorOf(c.sts.send(new GetCallerIdentityCommand({})))).name).toBe('SignatureDoesNotMatch');
    expect((await errorOf(c.cloudwatch.send(new ListMetricsCommand({})))).name).toBe('InvalidSignatureException');
  });

  it('refuses an unknown access key: InvalidAccessKeyId for S3, UnrecognizedClientException for JSON', async () => {
    const c = clientsWith(UNKNOWN_KEY);
    expect((await errorOf(c.sagemaker.send(new ListEndpointsCommand({})))).name).toBe('UnrecognizedClientException');
    expect((await errorOf(c.s3.send(new GetObjectCommand({ Bucket: 'signed', Key: 'dir/a b+c.txt' })))).name).toBe('InvalidAccessKeyId');
  });

  it('refuses a request signed more than 15 minutes off', async () => {
    // The date is checked before the signature, as AWS does: an old X-Amz-Date alone is the error.
    const amzDate = new Date(Date.now() - 20 * 60 * 1000).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
    const authorization = `AWS4-HMAC-SHA256 Credential=${RIGHT.accessKeyId}/${amzDate.slice(0, 8)}/us-east-1/sagemaker/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`;
    const r = await fetch(`${emu.url}/`, {
      method: 'POST',
      headers: { 'x-amz-target': 'SageMaker.ListEndpoints', 'content-type': 'application/x-amz-json-1.1', 'x-amz-date': amzDate, authorization },
      body: '{}',
    });
    expect(r.status).toBe(400);
    const body = await r.json();
    expect(body.__type).toBe('InvalidSignatureException');
    expect(body.message).toMatch(new RegExp(`^Signature expired: ${amzDate} is now earlier than \\d{8}T\\d{6}Z \\(\\d{8}T\\d{6}Z - 15 min\\.\\)$`));
  });

  it('names what an incomplete Authorization header lacks, and refuses an old query-protocol request as RequestExpired', async () => {
    const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
    const incomplete = await fetch(`${emu.url}/`, {
      method: 'POST',
      headers: { 'x-amz-target': 'SageMaker.ListEndpoints', 'content-type': 'application/x-amz-json-1.1', 'x-amz-date': amzDate, authorization: `AWS4-HMAC-SHA256 Credential=${RIGHT.accessKeyId}/${amzDate.slice(0, 8)}/us-east-1/sagemaker/aws4_request` },
      body: '{}',
    });
    expect(incomplete.status).toBe(400);
    const body = await incomplete.json();
    expect(body.__type).toBe('IncompleteSignature');
    expect(body.message).toBe("Authorization header requires 'SignedHeaders' parameter. Authorization header requires 'Signature' parameter.");

    const old = new Date(Date.now() - 30 * 60 * 1000).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
    const query = await fetch(`${emu.url}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-amz-date': old, authorization: `AWS4-HMAC-SHA256 Credential=${RIGHT.accessKeyId}/${old.slice(0, 8)}/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}` },
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
    });
    expect(query.status).toBe(400);
    expect(await query.text()).toContain('<Code>RequestExpired</Code>');
  });

  it('refuses unsigned requests', async () => {
    const r = await fetch(`${emu.url}/`, { method: 'POST', headers: { 'x-amz-target': 'SageMaker.ListEndpoints', 'content-type': 'application/x-amz-json-1.1' }, body: '{}' });
    expect(r.status).toBe(403);
    expect((await r.json()).__type).toBe('MissingAuthenticationTokenException');
    const s3 = await fetch(`${emu.url}/signed/dir/x`);
    expect(s3.status).toBe(403);
    expect(await s3.text()).toContain('<Code>AccessDenied</Code>');
  });
});

/** The SHA-256 (and HMAC) constructor @smithy/signature-v4 takes, from node:crypto. */
class Sha256 {
  private readonly h;
  constructor(secret?: string | Uint8Array) {
    this.h = secret ? createHmac('sha256', secret) : createHash('sha256');
  }
  update(data: string | Uint8Array) {
    this.h.update(data);
  }
  async digest() {
    return new Uint8Array(this.h.digest());
  }
}

/**
 * A PutObject whose body is aws-chunked and signed per chunk, built as the S3 documentation
 * describes (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html): the headers
 * signed by the SDK's own signer with the STREAMING payload hash, each chunk signed in a chain
 * from that seed signature, and optionally a trailer with its own signature.
 */
async function chunkedPut(key: string, chunks: Buffer[], opts: { secret?: string; tamperChunk?: number; trailer?: boolean; tamperTrailer?: boolean } = {}) {
  const url = new URL(emu.url);
  const decoded = chunks.reduce((n, c) => n + c.length, 0);
  const signer = new SignatureV4({ credentials: { accessKeyId: RIGHT.accessKeyId, secretAccessKey: opts.secret ?? RIGHT.secretAccessKey }, region, service: 's3', sha256: Sha256 as never });
  const streaming = opts.trailer ? 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER' : 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
  const headers: Record<string, string> = {
    host: url.host,
    'x-amz-content-sha256': streaming,
    'content-encoding': 'aws-chunked',
    'x-amz-decoded-content-length': String(decoded),
  };
  if (opts.trailer) headers['x-amz-trailer'] = 'x-amz-checksum-sha256';
  const signed = await signer.sign({ method: 'PUT', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: `/signed/${key}`, headers, query: {} } as never);
  const h = (signed as unknown as { headers: Record<string, string> }).headers;
  const amzDate = h['x-amz-date'];
  const scope = `${amzDate.slice(0, 8)}/${region}/s3/aws4_request`;
  const seed = /Signature=([0-9a-f]{64})/.exec(h.authorization)![1];
  const kDate = createHmac('sha256', `AWS4${opts.secret ?? RIGHT.secretAccessKey}`).update(amzDate.slice(0, 8)).digest();
  const key4 = createHmac('sha256', createHmac('sha256', createHmac('sha256', kDate).update(region).digest()).update('s3').digest()).update('aws4_request').digest();
  const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
  let previous = seed;
  const parts: Buffer[] = [];
  for (const [i, chunk] of [...chunks, Buffer.alloc(0)].entries()) {
    let signature = createHmac('sha256', key4).update(`AWS4-HMAC-SHA256-PAYLOAD\n${amzDate}\n${scope}\n${previous}\n${sha('')}\n${sha(chunk)}`).digest('hex');
    previous = signature;
    if (i === opts.tamperChunk) signature = signature.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    parts.push(Buffer.from(`${chunk.length.toString(16)};chunk-signature=${signature}\r\n`), chunk, chunk.length ? Buffer.from('\r\n') : Buffer.alloc(0));
  }
  if (opts.trailer) {
    const trailer = `x-amz-checksum-sha256:${createHash('sha256').update(Buffer.concat(chunks)).digest('base64')}\n`;
    const signed = createHmac('sha256', key4).update(`AWS4-HMAC-SHA256-TRAILER\n${amzDate}\n${scope}\n${previous}\n${sha(trailer)}`).digest('hex');
    const signature = opts.tamperTrailer ? signed.replace(/^./, (c) => (c === '0' ? '1' : '0')) : signed;
    parts.push(Buffer.from(`${trailer.replace('\n', '\r\n')}x-amz-trailer-signature:${signature}\r\n\r\n`));
  } else parts.push(Buffer.from('\r\n'));
  const body = Buffer.concat(parts);
  const r = await fetch(`${emu.url}/signed/${key}`, { method: 'PUT', headers: { ...h, 'content-length': String(body.length) }, body });
  return { status: r.status, text: await r.text() };
}

describe('aws-chunked bodies signed per chunk', () => {
  const chunks = [Buffer.alloc(65536, 'a'), Buffer.alloc(1000, 'b')];

  it('stores a body whose chunk (and trailer) signatures verify', async () => {
    expect((await chunkedPut('chunked/ok', chunks)).status).toBe(200);
    expect((await chunkedPut('chunked/trailer', chunks, { trailer: true })).status).toBe(200);
    const s3 = clientsWith(RIGHT).s3;
    const got = await (await s3.send(new GetObjectCommand({ Bucket: 'signed', Key: 'chunked/trailer' }))).Body!.transformToByteArray();
    expect(Buffer.from(got).equals(Buffer.concat(chunks))).toBe(true);
  });

  it('refuses a body with one wrong chunk signature, and stores nothing', async () => {
    for (const tamperChunk of [0, 1, 2]) {
      const r = await chunkedPut(`chunked/bad-${tamperChunk}`, chunks, { tamperChunk });
      expect(r.status, `chunk ${tamperChunk}`).toBe(403);
      expect(r.text).toContain('<Code>SignatureDoesNotMatch</Code>');
      const e = await errorOf(clientsWith(RIGHT).s3.send(new GetObjectCommand({ Bucket: 'signed', Key: `chunked/bad-${tamperChunk}` })));
      expect(e.name).toBe('NoSuchKey');
    }
    const trailer = await chunkedPut('chunked/bad-trailer', chunks, { trailer: true, tamperTrailer: true });
    expect(trailer.status).toBe(403);
    expect(trailer.text).toContain('<Code>SignatureDoesNotMatch</Code>');
  });
});

const hasBoto3 = spawnSync('python3', ['-c', 'import boto3'], { encoding: 'utf8' }).status === 0;

describe.skipIf(!hasBoto3)('boto3', () => {
  it('signs right (headers and a presigned URL) and is refused with a wrong key', () => {
    const script = `
import boto3, botocore, json, sys, urllib.request, urllib.error
url = sys.argv[1]
def c(service, key, secret):
    return boto3.client(service, endpoint_url=url, region_name='us-east-1', aws_access_key_id=key, aws_secret_access_key=secret,
                        config=botocore.config.Config(signature_version='s3v4' if service == 's3' else None, s3={'addressing_style': 'path'}, retries={'max_attempts': 1}))
out = {}
sm = c('sagemaker', '${RIGHT.accessKeyId}', '${RIGHT.secretAccessKey}')
out['list'] = len(sm.list_endpoints()['Endpoints'])
s3 = c('s3', '${RIGHT.accessKeyId}', '${RIGHT.secretAccessKey}')
s3.put_object(Bucket='signed', Key='py/k=1&x.txt', Body=b'from boto3')
out['get'] = s3.get_object(Bucket='signed', Key='py/k=1&x.txt')['Body'].read().decode()
out['sts'] = c('sts', '${RIGHT.accessKeyId}', '${RIGHT.secretAccessKey}').get_caller_identity()['Account']
presigned = s3.generate_presigned_url('get_object', Params={'Bucket': 'signed', 'Key': 'py/k=1&x.txt'}, ExpiresIn=60)
out['presigned'] = urllib.request.urlopen(presigned).read().decode()
try:
    urllib.request.urlopen(presigned.replace('X-Amz-Signature=', 'X-Amz-Signature=0'))
    out['tampered'] = 'accepted'
except urllib.error.HTTPError as e:
    out['tampered'] = e.code
for service, call in [('sagemaker', lambda cl: cl.list_endpoints()), ('s3', lambda cl: cl.list_objects_v2(Bucket='signed')), ('sts', lambda cl: cl.get_caller_identity())]:
    try:
        call(c(service, '${WRONG_SECRET.accessKeyId}', '${WRONG_SECRET.secretAccessKey}'))
        out['wrong-' + service] = 'accepted'
    except botocore.exceptions.ClientError as e:
        out['wrong-' + service] = e.response['Error']['Code']
print(json.dumps(out))
`;
    const r = spawnSync('python3', ['-c', script, emu.url], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out).toEqual({
      list: 0,
      get: 'from boto3',
      sts: '000000000000',
      presigned: 'from boto3',
      tampered: 403,
      'wrong-sagemaker': 'InvalidSignatureException',
      'wrong-s3': 'SignatureDoesNotMatch',
      'wrong-sts': 'SignatureDoesNotMatch',
    });
  }, 180_000);
});
