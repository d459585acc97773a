import type { IncomingMessage } from 'node:http';
import getRawBody from 'raw-body';
import { AwsError } from './errors.js';

/** The client went away before its body arrived: nobody is left to answer. */
export class ClientAborted extends AwsError {
  constructor() {
    super('RequestAborted', 'The client closed the connection before it sent the whole request body.', 400);
  }
}

/**
 * Reads a request body whole. A body with a Content-Length (what every AWS SDK sends) is read
 * here directly: Node's HTTP parser already delivers exactly Content-Length bytes or reports the
 * request aborted, so all that is left is the limit, and the common one-chunk body is handed on
 * without a copy. Measured on bench:invoke's one-row CSV request, this saves about 2 µs of CPU per
 * request over raw-body, most of an invocation's protocol overhead. A body without one (chunked
 * transfer encoding) goes to raw-body (the reader behind Express's body parsers), which enforces
 * the limit while streaming and settles on every way a stream can end. `onTooLarge` gives the
 * service's AWS error for an oversized body. The callback form spares the hot path a promise.
 */
export function readBodyThen(req: IncomingMessage, limit: number, onTooLarge: () => AwsError, done: (err: AwsError | Error | null, body?: Buffer) => void): void {
  const declared = req.headers['content-length'];
  if (declared === undefined) return readStreamed(req, limit, onTooLarge, done);
  const length = Number(declared); // Node's parser has refused a malformed Content-Length already
  if (length > limit) return done(onTooLarge());
  let first: Buffer | undefined;
  let chunks: Buffer[] | undefined;
  let received = 0;
  let settled = false;
  const settle = (err: AwsError | Error | null, body?: Buffer) => {
    if (settled) return;
    settled = true;
    done(err, body);
  };
  req.on('data', (chunk: Buffer) => {
    if (first === undefined) first = chunk;
    else (chunks ??= [first]).push(chunk);
    received += chunk.length;
  });
  req.on('end', () => {
    if (received !== length) return settle(new AwsError('SerializationException', 'The request body is not as long as its Content-Length says.'));
    settle(null, chunks ? Buffer.concat(chunks, received) : (first ?? EMPTY));
  });
  // 'close' before 'end': the client went away mid-body (Node emits no 'error' on a request
  // without error listeners, and one listener here covers every way it can end early).
  req.on('close', () => settled || settle(new ClientAborted()));
}

const EMPTY = Buffer.alloc(0);

function readStreamed(req: IncomingMessage, limit: number, onTooLarge: () => AwsError, done: (err: AwsError | Error | null, body?: Buffer) => void): void {
  getRawBody(req, { limit }, (err, body) => {
    if (!err) return done(null, body);
    const type = (err as { type?: string }).type;
    if (type === 'entity.too.large') return done(onTooLarge());
    if (type === 'request.aborted') return done(new ClientAborted());
    done(err);
  });
}

/** readBodyThen as a promise. */
export function readBody(req: IncomingMessage, limit: number, onTooLarge: () => AwsError): Promise<Buffer> {
  return new Promise((ok, fail) => readBodyThen(req, limit, onTooLarge, (err, body) => (err ? fail(err) : ok(body!))));
}
