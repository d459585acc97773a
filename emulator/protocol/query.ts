import type { ServerResponse } from 'node:http';
import { XMLBuilder } from 'fast-xml-parser';
import type { AwsError } from './errors.js';

/**
 * The awsQuery protocol's XML: `<OpResponse xmlns><OpResult>...</OpResult><ResponseMetadata/>`,
 * lists as `<member>` elements, timestamps in ISO 8601. Written with fast-xml-parser's builder,
 * which escapes text.
 */
const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: false, format: false });

/** Drops absent members, renders Dates as ISO 8601 and lists as `<member>` children. */
function toXmlTree(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return { member: value.filter((v) => v !== undefined && v !== null).map(toXmlTree) };
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined && v !== null) out[k] = toXmlTree(v);
    return out;
  }
  return value;
}

function send(res: ServerResponse, status: number, requestId: string, document: Record<string, unknown>, headers: Record<string, string> = {}): void {
  const body = builder.build(document) as string;
  res.writeHead(status, { 'Content-Type': 'text/xml', 'Content-Length': Buffer.byteLength(body), 'x-amzn-RequestId': requestId, ...headers });
  res.end(body);
}

export function sendQueryResult(res: ServerResponse, xmlns: string, operation: string, result: Record<string, unknown>, requestId: string): void {
  send(res, 200, requestId, {
    [`${operation}Response`]: {
      '@_xmlns': xmlns,
      [`${operation}Result`]: toXmlTree(result),
      ResponseMetadata: { RequestId: requestId },
    },
  });
}

export function sendQueryError(res: ServerResponse, xmlns: string, err: AwsError, requestId: string): void {
  const type = err.status >= 500 ? 'Receiver' : 'Sender';
  send(res, err.status, requestId, {
    ErrorResponse: { '@_xmlns': xmlns, Error: { Type: type, Code: err.code, Message: err.message }, RequestId: requestId },
  });
}
