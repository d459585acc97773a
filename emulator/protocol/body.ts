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
 * Reads a request body whole with raw-body (the reader behind Express's body parsers): it refuses
 * a declared Content-Length over `limit` before reading, stops at `limit` bytes otherwise, and
 * settles on aborted requests and on bodies shorter or longer than their Content-Length, each of
 * which a hand-written reader has to get right by itself. `onTooLarge` gives the service's AWS
 * error for an oversized body. The callback form spares the hot path a promise per request.
 */
export function readBodyThen(req: IncomingMessage, limit: number, onTooLarge: () => AwsError, done: (err: AwsError | Error | null, body?: Buffer) => void): void {
  getRawBody(req, { limit, length: req.headers['content-length'] }, (err, body) => {
    if (!err) return done(null, body);
    const type = (err as { type?: string }).type;
    if (type === 'entity.too.large') return done(onTooLarge());
    if (type === 'request.size.invalid') return done(new AwsError('SerializationException', 'The request body is not as long as its Content-Length says.'));
    if (type === 'request.aborted') return done(new ClientAborted());
    done(err);
  });
}

/** readBodyThen as a promise. */
export function readBody(req: IncomingMessage, limit: number, onTooLarge: () => AwsError): Promise<Buffer> {
  return new Promise((ok, fail) => readBodyThen(req, limit, onTooLarge, (err, body) => (err ? fail(err) : ok(body!))));
}
