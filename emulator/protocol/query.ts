import type { ServerResponse } from 'node:http';
import type { AwsError } from './errors.js';

/** The awsQuery protocol's XML: `<OpResponse><OpResult>...</OpResult><ResponseMetadata/>`. */
const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function value(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  // Lists are `<member>` elements, as the query protocol writes them.
  if (Array.isArray(v)) return v.map((item) => `<member>${value(item)}</member>`).join('');
  if (typeof v === 'object' && v !== null) return members(v as Record<string, unknown>);
  return escape(String(v));
}

function members(obj: Record<string, unknown>): string {
  return Object.entries(obj)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `<${k}>${value(v)}</${k}>`)
    .join('');
}

export function sendQueryResult(res: ServerResponse, xmlns: string, operation: string, result: Record<string, unknown>, requestId: string): void {
  const body = `<${operation}Response xmlns="${xmlns}"><${operation}Result>${members(result)}</${operation}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${operation}Response>`;
  res.writeHead(200, { 'Content-Type': 'text/xml', 'Content-Length': Buffer.byteLength(body), 'x-amzn-RequestId': requestId });
  res.end(body);
}

export function sendQueryError(res: ServerResponse, xmlns: string, err: AwsError, requestId: string): void {
  const type = err.status >= 500 ? 'Receiver' : 'Sender';
  const body = `<ErrorResponse xmlns="${xmlns}"><Error><Type>${type}</Type><Code>${escape(err.code)}</Code><Message>${escape(err.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  res.writeHead(err.status, { 'Content-Type': 'text/xml', 'Content-Length': Buffer.byteLength(body), 'x-amzn-RequestId': requestId });
  res.end(body);
}
