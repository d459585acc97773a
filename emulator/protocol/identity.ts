import type { IncomingHttpHeaders } from 'node:http';

/** Who is calling and where: taken from the SigV4 credential scope, as AWS does. */
export interface CallerIdentity {
  accessKeyId: string;
  region: string;
  /** The signing name in the credential scope (s3, sagemaker, sts, ...), if signed. */
  service?: string;
  accountId: string;
}

const CREDENTIAL = /Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request/;

export interface IdentityDefaults {
  region: string;
  accountId: string;
}

export function identityFromHeaders(
  headers: IncomingHttpHeaders,
  query: URLSearchParams | undefined,
  defaults: IdentityDefaults,
): CallerIdentity {
  const auth = headers.authorization ?? query?.get('X-Amz-Credential') ?? '';
  const m = CREDENTIAL.exec(auth.startsWith('AWS4') ? auth : `Credential=${auth}`);
  if (!m) return { accessKeyId: '', region: defaults.region, accountId: defaults.accountId };
  const [, accessKeyId, , region, service] = m;
  // LocalStack's convention: a 12-digit access key id names the account; anything else is the default.
  const accountId = /^\d{12}$/.test(accessKeyId) ? accessKeyId : defaults.accountId;
  return { accessKeyId, region, service, accountId };
}

/** Parsed identities by credential scope, and the scope seen last (a client repeats it). */
interface IdentityCache {
  byScope: Map<string, CallerIdentity>;
  lastScope: string;
  last?: CallerIdentity;
}

const identities = new WeakMap<IdentityDefaults, IdentityCache>();

/**
 * identityFromHeaders for hot paths: the credential scope (the Authorization header up to its
 * first comma) repeats across a client's requests while the signature changes, so the parsed
 * identity is kept per scope. The scope seen last is compared in place, without slicing the
 * header or a map lookup.
 */
export function cachedIdentity(headers: IncomingHttpHeaders, defaults: IdentityDefaults): CallerIdentity {
  const auth = headers.authorization;
  if (auth === undefined) return identityFromHeaders(headers, undefined, defaults);
  let cache = identities.get(defaults);
  if (!cache) identities.set(defaults, (cache = { byScope: new Map(), lastScope: '' }));
  const last = cache.lastScope;
  const comma = auth.indexOf(',');
  if (cache.last && comma === (last.length === auth.length ? -1 : last.length) && auth.startsWith(last)) return cache.last;
  const key = comma < 0 ? auth : auth.slice(0, comma);
  let identity = cache.byScope.get(key);
  if (!identity) {
    if (cache.byScope.size >= 1024) cache.byScope.clear(); // bounded: scopes are few, but never grow without limit
    identity = identityFromHeaders(headers, undefined, defaults);
    cache.byScope.set(key, identity);
  }
  cache.lastScope = key;
  cache.last = identity;
  return identity;
}
