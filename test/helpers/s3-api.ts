/** The set-up the S3 API suites (test/s3-*.test.ts) share: one S3 API per test file, and its clients. */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect } from 'vitest';
import { createS3Handler } from '../../emulator/protocol/s3/handler.js';
import { FsObjectStore } from '../../emulator/storage/fs-object-store.js';

export const MiB = 1024 * 1024;

export const md5hex = (b: Buffer | string) => createHash('md5').update(b).digest('hex');

/** The whole body of a GetObject answer. */
export const body = async (out: { Body?: unknown }) =>
  Buffer.from(await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());

/** Expects an S3 error with this exact code and HTTP status. */
export async function expectS3Error(p: Promise<unknown>, code: string, status: number): Promise<S3ServiceException> {
  try {
    await p;
  } catch (err) {
    const e = err as S3ServiceException;
    expect({ name: e.name, status: e.$metadata?.httpStatusCode }).toEqual({ name: code, status });
    return e;
  }
  throw new Error(`expected ${code}, but the call succeeded`);
}

/**
 * The S3 API under test: the full emulator when it starts (the real routing path), else the S3
 * handler alone on a plain HTTP server. LOCALSAGE_S3_TEST_STANDALONE=1 forces the latter.
 */
export interface S3Target {
  url: string;
  port: number;
  mode: string;
  close(): Promise<void>;
}

export interface S3Api {
  /** Available from the suite's first beforeAll on. */
  readonly target: S3Target;
  /** A path-style client of the target, made once. */
  readonly s3: S3Client;
  /** Headers of the last request any client() client sent, as signed and framed. */
  readonly lastRequestHeaders: Record<string, string>;
  client(opts?: { forcePathStyle?: boolean; endpoint?: string; agent?: http.Agent }): S3Client;
  /** A raw HTTP request, for what SDKs will not send (bad framing, aborted bodies, odd headers). */
  raw(
    method: string,
    path: string,
    opts?: { headers?: Record<string, string | number>; body?: Buffer | string; host?: string },
  ): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>;
  /** A fresh temporary directory, removed after the file's tests. */
  tmp(prefix: string): string;
}

/**
 * Starts the S3 API for one test file (in its beforeAll) and stops it, with every temporary
 * directory, in its afterAll. `label` names the file in what it logs.
 */
export function useS3Api(label: string): S3Api {
  const tmpRoots: string[] = [];
  let target: S3Target | undefined;
  let s3: S3Client | undefined;
  let lastRequestHeaders: Record<string, string> = {};

  function tmp(prefix: string): string {
    const dir = mkdtempSync(join(tmpdir(), `localsage-${prefix}-`));
    tmpRoots.push(dir);
    return dir;
  }

  async function startStandalone(): Promise<S3Target> {
    const data = tmp('s3-data');
    const server = http.createServer(
      createS3Handler({
        store: new FsObjectStore(join(data, 's3')),
        dataDir: data,
        defaults: { region: 'us-east-1', accountId: '000000000000' },
      }),
    );
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const port = (server.address() as AddressInfo).port;
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      mode: 'standalone S3 handler',
      close: async () => {
        server.closeAllConnections();
        await new Promise<void>((ok) => server.close(() => ok()));
      },
    };
  }

  async function startTarget(): Promise<S3Target> {
    if (process.env.LOCALSAGE_S3_TEST_STANDALONE !== '1') {
      try {
        const { startEmulator } = await import('../../emulator/server.js');
        const emu = await startEmulator({ port: 0, host: '127.0.0.1', dataDir: tmp('emu'), quiet: true });
        return { url: emu.url, port: emu.port, mode: 'full emulator', close: () => emu.close() };
      } catch (err) {
        console.warn(`${label}: the full emulator did not start (${(err as Error).message}); testing the S3 handler alone`);
      }
    }
    return startStandalone();
  }

  const started = (): S3Target => {
    if (!target) throw new Error(`${label}: the S3 API is not started yet (use it inside tests or hooks)`);
    return target;
  };

  function client(opts: { forcePathStyle?: boolean; endpoint?: string; agent?: http.Agent } = {}): S3Client {
    const c = new S3Client({
      endpoint: opts.endpoint ?? started().url,
      region: 'us-east-1',
      forcePathStyle: opts.forcePathStyle ?? true,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
      ...(opts.agent ? { requestHandler: { httpAgent: opts.agent } } : {}),
    });
    c.middlewareStack.add(
      (next) => async (args) => {
        lastRequestHeaders = { ...((args.request as { headers?: Record<string, string> }).headers ?? {}) };
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: 'recordHeaders' },
    );
    return c;
  }

  function raw(
    method: string,
    path: string,
    opts: { headers?: Record<string, string | number>; body?: Buffer | string; host?: string } = {},
  ): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
    const { port } = started();
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, method, path, headers: { ...(opts.host ? { host: opts.host } : {}), ...opts.headers } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        },
      );
      req.on('error', reject);
      req.end(opts.body);
    });
  }

  beforeAll(async () => {
    target = await startTarget();
    console.log(`${label}: running against the ${target.mode} at ${target.url}`);
    s3 = client();
  });

  afterAll(async () => {
    s3?.destroy();
    await target?.close();
    for (const dir of tmpRoots) rmSync(dir, { recursive: true, force: true });
  });

  return {
    get target() {
      return started();
    },
    get s3() {
      if (!s3) throw new Error(`${label}: the S3 API is not started yet (use it inside tests or hooks)`);
      return s3;
    },
    get lastRequestHeaders() {
      return lastRequestHeaders;
    },
    client,
    raw,
    tmp,
  };
}
