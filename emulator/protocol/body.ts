import type { IncomingMessage } from 'node:http';
import getRawBody from 'raw-body';
import { AwsError } from './errors.js';

/** The client went away before its body arrived: nobody is left to answer. */
export class ClientAborted extends Error {}

/**
 * Reads a request body whole with raw-body (the reader behind Express's body parsers): it refuses
 * a declared Content-Length over `limit` before reading, stops at `limit` bytes otherwise, and
 * settles on aborted requests and on bodies shorter or longer than their Content-Length, each of
 * which a hand-written reader has to get right by itself. `onTooLarge` gives the service's AWS
 * error for an oversized body.
 */
export async function readBody(req: IncomingMessage, limit: number, onTooLarge: () => AwsError): Promise<Buffer> {
  try {
    return await getRawBody(req, { limit, length: req.headers['content-length'] });
  } catch (e) {
    const type = (e as { type?: string }).type;
    if (type === 'entity.too.large') throw onTooLarge();
    if (type === 'request.size.invalid') throw new AwsError('SerializationException', 'The request body is not as long as its Content-Length says.');
    if (type === 'request.aborted') throw new ClientAborted('request aborted');
    throw e;
  }
}
