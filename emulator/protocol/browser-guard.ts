import type { IncomingMessage } from 'node:http';

/**
 * Browser safety. A web page the user visits can make the browser send requests to
 * 127.0.0.1:4599 (no-preflight "simple" requests such as a text/plain POST), and with DNS
 * rebinding it can even read the answers under its own host name. So by default:
 *  - a request whose Host is not the emulator's own is refused: localhost, 127.0.0.1, [::1], the
 *    address it binds, names under `.localhost` (virtual-host buckets, `s3.localhost`), and the
 *    hosts given with --allowed-hosts (`*` allows any);
 *  - a browser request from another site (Sec-Fetch-Site cross-site / same-site, or an Origin
 *    other than the Host's own) is refused, except S3 requests that a bucket's CORS
 *    configuration allows (s3/cors.ts). SDKs and CLIs send neither header and are unaffected,
 *    and the dashboard's own pages are same-origin.
 */
export interface BrowserGuard {
  hostAllowed(req: IncomingMessage): boolean;
  isCrossSite(req: IncomingMessage): boolean;
}

const LOOPBACK = ['localhost', '127.0.0.1', '::1', 'localhost.localstack.cloud'];

/** The host name of a Host header or an origin's authority, without port or IPv6 brackets. */
export function hostName(authority: string): string {
  const a = authority.trim().toLowerCase();
  if (a.startsWith('[')) return a.slice(1, a.indexOf(']') < 0 ? undefined : a.indexOf(']'));
  const colon = a.lastIndexOf(':');
  return colon >= 0 && a.indexOf(':') === colon ? a.slice(0, colon) : a;
}

export function createBrowserGuard(opts: { bindHost: string; allowedHosts: string[] }): BrowserGuard {
  const any = opts.allowedHosts.includes('*');
  const exact = new Set([...LOOPBACK, ...opts.allowedHosts.map(hostName)]);
  // 0.0.0.0 and :: are not names a client uses: with them, the allowed hosts say who may connect.
  if (opts.bindHost && opts.bindHost !== '0.0.0.0' && opts.bindHost !== '::') exact.add(hostName(opts.bindHost.includes(':') && !opts.bindHost.startsWith('[') ? `[${opts.bindHost}]` : opts.bindHost));
  const suffixes = [...exact].filter((h) => !/^[\d.:]+$/.test(h)).map((h) => `.${h}`);

  const allowedName = (name: string) => any || exact.has(name) || name.endsWith('.localhost') || suffixes.some((s) => name.endsWith(s));

  // A client sends the same Host on every request: the last verdict is kept (the invocation path
  // is hot).
  let lastHost = '';
  let lastVerdict = false;
  return {
    hostAllowed(req) {
      const host = req.headers.host;
      // HTTP/1.0 clients may send no Host; a browser always sends one.
      if (host === undefined) return true;
      if (host !== lastHost) {
        lastVerdict = allowedName(hostName(host));
        lastHost = host;
      }
      return lastVerdict;
    },
    isCrossSite(req) {
      const site = req.headers['sec-fetch-site'];
      if (site === 'cross-site' || site === 'same-site') return true;
      const origin = req.headers.origin;
      if (origin === undefined) return false;
      const host = req.headers.host ?? '';
      return origin !== `http://${host}` && origin !== `https://${host}`;
    },
  };
}
