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

const identities = new WeakMap<IdentityDefaults, Map<string, CallerIdentity>>();

/**
 * identityFromHeaders for hot paths: the credential scope (the Authorization header up to its
 * first comma) repeats across a client's requests while the signature changes, so the parsed
 * identity is kept per scope.
 */
export function cachedIdentity(headers: IncomingHttpHeaders, defaults: IdentityDefaults): CallerIdentity {
  const auth = headers.authorization;
  if (auth === undefined) return identityFromHeaders(headers, undefined, defaults);
  const comma = auth.indexOf(',');
  const key = comma < 0 ? auth : auth.slice(0, comma);
  let known = identities.get(defaults);
  if (!known) identities.set(defaults, (known = new Map()));
  let identity = known.get(key);
  if (!identity) {
    if (known.size >= 1024) known.clear(); // bounded: scopes are few, but never grow without limit
    identity = identityFromHeaders(headers, undefined, defaults);
    known.set(key, identity);
  }
  return identity;
}
