import http from 'node:http';
import {
  CreateBucketCommand,
  DeleteBucketCorsCommand,
  GetBucketCorsCommand,
  HeadObjectCommand,
  PutBucketCorsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';

/** Browser safety by default: foreign Host names and cross-site requests are refused. */
let emu: EmulatorProcess;
let port: number;
let s3: S3Client;

beforeAll(async () => {
  emu = await startEmulatorProcess({ args: ['--allowed-hosts', 'localsage.internal'] });
  port = Number(new URL(emu.url).port);
  s3 = new S3Client({ endpoint: emu.url, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  await s3.send(new CreateBucketCommand({ Bucket: 'web' }));
  await s3.send(new PutObjectCommand({ Bucket: 'web', Key: 'a.txt', Body: 'hello' }));
}, 60_000);

afterAll(async () => {
  await emu?.stop();
  if (emu) removeDir(emu.dataDir);
});

function raw(method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((ok, fail) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode!, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
    });
    req.on('error', fail);
    req.end(body);
  });
}

const EVIL = { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' };

describe('Host allow-list (DNS rebinding)', () => {
  it('refuses a Host that is not the emulator’s own, for every service', async () => {
    for (const [method, path, headers] of [
      ['POST', '/', { 'x-amz-target': 'SageMaker.ListEndpoints', 'content-type': 'application/x-amz-json-1.1' }],
      ['GET', '/web/a.txt', {}],
      ['GET', '/_localsage/', {}],
    ] as const) {
      const r = await raw(method, path, { ...headers, host: `rebound.evil.example:${port}` }, method === 'POST' ? '{}' : undefined);
      expect(r.status, path).toBe(403);
      expect(r.body).toContain('--allowed-hosts');
    }
  });

  it('serves localhost, [::1], virtual-host buckets and the hosts allowed on purpose', async () => {
    for (const host of [`localhost:${port}`, `[::1]:${port}`, `web.localhost:${port}`, `web.s3.localhost:${port}`, `localsage.internal:${port}`]) {
      const r = await raw('GET', host.startsWith('web.') ? '/a.txt' : '/web/a.txt', { host });
      expect(r.status, host).toBe(200);
      expect(r.body).toBe('hello');
    }
  });
});

describe('cross-site browser requests', () => {
  it('refuses a no-preflight text/plain DeleteObjects from another site and keeps the object', async () => {
    const body = '<Delete><Object><Key>a.txt</Key></Object></Delete>';
    const r = await raw('POST', '/web?delete', { ...EVIL, 'content-type': 'text/plain' }, body);
    expect(r.status).toBe(403);
    expect(r.body).toContain('<Code>AccessForbidden</Code>');
    expect((await s3.send(new HeadObjectCommand({ Bucket: 'web', Key: 'a.txt' }))).ContentLength).toBe(5);
  });

  it('refuses cross-site calls to the JSON APIs, by Sec-Fetch-Site or by a foreign Origin alone', async () => {
    for (const headers of [EVIL, { origin: 'http://evil.example' }, { 'sec-fetch-site': 'same-site' }] as Record<string, string>[]) {
      const r = await raw('POST', '/', { ...headers, 'x-amz-target': 'SageMaker.ListEndpoints', 'content-type': 'text/plain' }, '{}');
      expect(r.status).toBe(403);
      expect(JSON.parse(r.body).__type).toBe('AccessDeniedException');
    }
  });

  it('keeps the dashboard working for its own same-origin pages', async () => {
    const r = await raw('GET', '/_localsage/', { origin: `http://127.0.0.1:${port}`, 'sec-fetch-site': 'same-origin' });
    expect(r.status).toBe(200);
  });
});

describe('bucket CORS lets chosen sites in', () => {
  const ORIGIN = 'http://app.example';

  it('PutBucketCors / GetBucketCors / DeleteBucketCors through the JS SDK', async () => {
    await s3.send(
      new PutBucketCorsCommand({
        Bucket: 'web',
        CORSConfiguration: { CORSRules: [{ AllowedOrigins: [ORIGIN], AllowedMethods: ['GET', 'PUT'], AllowedHeaders: ['*'], ExposeHeaders: ['ETag'], MaxAgeSeconds: 600 }] },
      }),
    );
    const got = await s3.send(new GetBucketCorsCommand({ Bucket: 'web' }));
    expect(got.CORSRules).toEqual([{ AllowedOrigins: [ORIGIN], AllowedMethods: ['GET', 'PUT'], AllowedHeaders: ['*'], ExposeHeaders: ['ETag'], MaxAgeSeconds: 600 }]);
  });

  it('answers a preflight from an allowed origin and refuses others', async () => {
    const ok = await raw('OPTIONS', '/web/a.txt', { origin: ORIGIN, 'sec-fetch-site': 'cross-site', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type' });
    expect(ok.status).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(ok.headers['access-control-allow-methods']).toBe('GET, PUT');
    expect(ok.headers['access-control-max-age']).toBe('600');
    const refused = await raw('OPTIONS', '/web/a.txt', { ...EVIL, 'access-control-request-method': 'GET' });
    expect(refused.status).toBe(403);
    const wrongMethod = await raw('OPTIONS', '/web/a.txt', { origin: ORIGIN, 'access-control-request-method': 'DELETE' });
    expect(wrongMethod.status).toBe(403);
  });

  it('serves the allowed site’s request with CORS headers; other sites and methods stay out', async () => {
    const ok = await raw('GET', '/web/a.txt', { origin: ORIGIN, 'sec-fetch-site': 'cross-site' });
    expect(ok.status).toBe(200);
    expect(ok.body).toBe('hello');
    expect(ok.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(ok.headers['access-control-expose-headers']).toBe('ETag');
    expect((await raw('GET', '/web/a.txt', EVIL)).status).toBe(403);
    expect((await raw('DELETE', '/web/a.txt', { origin: ORIGIN, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
  });

  it('DeleteBucketCors closes the door again', async () => {
    await s3.send(new DeleteBucketCorsCommand({ Bucket: 'web' }));
    const e = await s3.send(new GetBucketCorsCommand({ Bucket: 'web' })).catch((err: Error) => err);
    expect((e as Error).name).toBe('NoSuchCORSConfiguration');
    expect((await raw('GET', '/web/a.txt', { origin: ORIGIN, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
  });
});
