import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { extname, join, relative, resolve, sep } from 'node:path';
import type { AwsJsonHandler } from '../protocol/aws-json.js';
import { readBody } from '../protocol/body.js';
import { newRequestId, type RequestContext } from '../protocol/context.js';
import { AwsError } from '../protocol/errors.js';
import { identityFromHeaders, type IdentityDefaults } from '../protocol/identity.js';
import { bucketFromHost } from '../protocol/s3/routing.js';

/**
 * The web dashboard, on the emulator's own port under /_localsage/. S3 bucket names cannot
 * start with `_`, so a path-style request for `/_localsage/...` can never address a bucket; a
 * virtual-host style request (bucket in the Host header) is always S3's, whatever its path.
 *
 * It holds no state of its own: the page calls the services' operations through
 * POST /_localsage/api/<service>/<Operation>, which runs the very handler the AWS protocol layer
 * runs (input validated against the service model, output in AWS's JSON wire shape), and reads S3
 * through the S3 REST API itself. Read-only: only Describe/List/Get/Filter operations pass.
 */
export const DASHBOARD_PATH = '/_localsage';

export interface DashboardOptions {
  defaults: IdentityDefaults;
  /** awsJson services by the name the page uses (sagemaker, logs, cloudwatch, autoscaling). */
  services: Record<string, AwsJsonHandler | undefined>;
  /** Where `localsage simulate` writes report folders (each with an index.html). */
  reportsDir: string;
  /** Facts the page shows in its header. */
  info: Record<string, string | number | boolean>;
  /** The emulator's clock (ahead of the wall clock under --clock-scale): metric windows use it. */
  now: () => number;
}

const READ_ONLY = /^(Describe|List|Get|Filter)[A-Za-z]*$/;
const ASSETS = resolve(import.meta.dirname, 'assets');
const require = createRequire(import.meta.url);
const VENDOR: Record<string, string> = {
  'uPlot.iife.min.js': require.resolve('uplot/dist/uPlot.iife.min.js'),
  'uPlot.min.css': require.resolve('uplot/dist/uPlot.min.css'),
};
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.csv': 'text/csv; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.txt': 'text/plain; charset=utf-8',
};

export function isDashboardRequest(req: IncomingMessage): boolean {
  const url = req.url ?? '';
  if (url !== DASHBOARD_PATH && !url.startsWith(`${DASHBOARD_PATH}/`) && !url.startsWith(`${DASHBOARD_PATH}?`)) return false;
  return bucketFromHost(req.headers.host) === undefined;
}

export function createDashboardHandler(opts: DashboardOptions) {
  const reportsRoot = resolve(opts.reportsDir);

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).slice(DASHBOARD_PATH.length);
    } catch {
      return text(res, 400, 'Bad request');
    }
    const api = /^\/api\/([a-z-]+)\/([A-Za-z0-9]+)$/.exec(path);
    if (api && req.method === 'POST') return call(api[1], api[2], req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') return text(res, 405, 'Method not allowed');
    if (path === '') return redirect(res, `${DASHBOARD_PATH}/`);
    if (path === '/') return file(res, join(ASSETS, 'index.html'));
    if (path === '/api/info') return json(res, 200, { ...opts.info, reportsDir: reportsRoot, services: Object.keys(opts.services).filter((s) => opts.services[s]) });
    if (path === '/api/now') return json(res, 200, { now: opts.now() });
    if (path === '/api/reports') return json(res, 200, { reports: await listReports(reportsRoot) });
    if (path.startsWith('/vendor/') && VENDOR[path.slice(8)]) return file(res, VENDOR[path.slice(8)]);
    if (path.startsWith('/assets/')) return file(res, inside(ASSETS, path.slice(8)));
    if (path.startsWith('/reports/')) {
      const target = inside(reportsRoot, path.slice(9));
      if (target && path.endsWith('/')) return file(res, join(target, 'index.html'));
      return file(res, target);
    }
    return text(res, 404, 'Not found');
  };

  async function call(service: string, operation: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, 1024 * 1024, () => new AwsError('SerializationException', 'The request body is too large.', 413)).catch(() => Buffer.alloc(0));
    const ctx = { identity: identityFromHeaders(req.headers, undefined, opts.defaults), requestId: newRequestId() };
    if (!READ_ONLY.test(operation)) {
      return json(res, 200, { status: 403, body: { __type: 'AccessDeniedException', message: `The dashboard is read-only: ${operation} is not offered.` } });
    }
    const handler = opts.services[service];
    if (!handler) return json(res, 200, { status: 501, body: { __type: 'NotImplemented', message: `localsage does not serve the ${service} API yet.` } });
    json(res, 200, await capture(handler, operation, body, ctx));
  }
}

/**
 * Runs an awsJson handler and keeps what it would have sent. The page gets AWS's status and body
 * inside a 200, so an operation that is not served yet becomes a "not available" panel and not a
 * failed request in the browser's console.
 */
function capture(handler: AwsJsonHandler, operation: string, body: Buffer, ctx: RequestContext): Promise<{ status: number; body: unknown }> {
  return new Promise((done, fail) => {
    let status = 200;
    const sink = {
      headersSent: false,
      setHeader() {},
      writeHead(s: number) {
        status = s;
        sink.headersSent = true;
      },
      end(text?: string) {
        try {
          done({ status, body: text ? JSON.parse(text) : {} });
        } catch (e) {
          fail(e);
        }
      },
    };
    handler(operation, body, ctx, sink as unknown as ServerResponse).catch(fail);
  });
}

/** A path inside `root`, or undefined when `rel` would climb out of it. */
function inside(root: string, rel: string): string | undefined {
  const target = resolve(root, rel);
  const r = relative(root, target);
  return r.startsWith('..') || r.startsWith(sep) ? undefined : target;
}

/** Report folders: every folder under the reports directory (two levels: sweeps nest runs) with an index.html. */
async function listReports(root: string): Promise<{ name: string; modified: string }[]> {
  const out: { name: string; modified: string }[] = [];
  const walk = async (dir: string, depth: number) => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const sub = join(dir, e.name);
      const index = await stat(join(sub, 'index.html')).catch(() => undefined);
      if (index) out.push({ name: relative(root, sub).split(sep).join('/'), modified: index.mtime.toISOString() });
      if (depth < 2) await walk(sub, depth + 1);
    }
  };
  await walk(root, 1);
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

async function file(res: ServerResponse, path: string | undefined): Promise<void> {
  const info = path ? await stat(path).catch(() => undefined) : undefined;
  if (!path || !info?.isFile()) return text(res, 404, 'Not found');
  res.writeHead(200, {
    'Content-Type': TYPES[extname(path)] ?? 'application/octet-stream',
    'Content-Length': info.size,
    'Cache-Control': 'no-cache',
  });
  createReadStream(path).pipe(res);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function redirect(res: ServerResponse, to: string): void {
  res.writeHead(302, { Location: to, 'Content-Length': 0 });
  res.end();
}
