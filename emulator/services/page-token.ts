import type { AwsError } from '../protocol/errors.js';

/**
 * Offset pagination with opaque tokens, shared by every List/Describe operation: one page of
 * `items` from the token's offset, and the next token only when a further page exists (the
 * SageMaker Python SDK's log streamer loops for as long as a token comes back).
 */
export function pageByOffset<T>(
  items: T[],
  token: string | undefined,
  limit: number,
  invalid: () => AwsError,
): { items: T[]; nextToken?: string } {
  const start = token ? decodeOffset(token, invalid) : 0;
  return { items: items.slice(start, start + limit), nextToken: start + limit < items.length ? encodeOffset(start + limit) : undefined };
}

function encodeOffset(offset: number): string {
  return Buffer.from(`o:${offset}`).toString('base64');
}

function decodeOffset(token: string, invalid: () => AwsError): number {
  const m = /^o:(\d+)$/.exec(Buffer.from(token, 'base64').toString('utf8'));
  if (!m) throw invalid();
  return Number(m[1]);
}
