import { Transform, type TransformCallback } from 'node:stream';
import { AwsError } from '../errors.js';

/** Longest chunk-header or trailer line accepted; real ones are < 200 bytes. */
const MAX_LINE = 8192;

const malformed = (why: string) => new AwsError('InvalidRequest', `Malformed aws-chunked request body: ${why}`, 400);

type State = 'size' | 'data' | 'data-crlf' | 'trailer' | 'done';

/**
 * Decodes an `aws-chunked` body (`<hex>[;chunk-signature=..]\r\n<data>\r\n ... 0\r\n<trailers>\r\n`)
 * as a stream. Trailer headers (e.g. `x-amz-checksum-crc32`) are collected in `trailers`, which is
 * complete by the time this stream ends, so a downstream verifier can read it in its flush.
 * Chunk signatures are not verified (SigV4 is not enforced).
 */
export class AwsChunkedDecoder extends Transform {
  readonly trailers: Record<string, string> = {};
  decodedBytes = 0;
  private state: State = 'size';
  private line: Buffer[] = [];
  private lineLength = 0;
  private remaining = 0;
  private crlfSeen = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      this.consume(chunk);
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    // A trailer section with no final blank line is tolerated; a body cut before the last chunk is not.
    if (this.state === 'done' || (this.state === 'trailer' && this.lineLength === 0)) done();
    else done(new AwsError('IncompleteBody', 'The request body terminated unexpectedly', 400));
  }

  private consume(buf: Buffer): void {
    let pos = 0;
    while (pos < buf.length) {
      switch (this.state) {
        case 'data': {
          const n = Math.min(this.remaining, buf.length - pos);
          this.push(buf.subarray(pos, pos + n));
          this.decodedBytes += n;
          this.remaining -= n;
          pos += n;
          if (this.remaining === 0) {
            this.state = 'data-crlf';
            this.crlfSeen = 0;
          }
          break;
        }
        case 'data-crlf': {
          const expected = this.crlfSeen === 0 ? 0x0d : 0x0a;
          if (buf[pos] !== expected) throw malformed('chunk data not followed by CRLF');
          pos++;
          if (++this.crlfSeen === 2) this.state = 'size';
          break;
        }
        case 'size':
        case 'trailer': {
          const nl = buf.indexOf(0x0a, pos);
          const end = nl === -1 ? buf.length : nl;
          this.lineLength += end - pos;
          if (this.lineLength > MAX_LINE) throw malformed('header line too long');
          this.line.push(buf.subarray(pos, end));
          pos = nl === -1 ? buf.length : nl + 1;
          if (nl !== -1) this.onLine(this.takeLine());
          break;
        }
        case 'done':
          // Anything after the terminating blank line is ignored, as S3 does.
          return;
      }
    }
  }

  private takeLine(): string {
    const text = Buffer.concat(this.line).toString('latin1');
    this.line = [];
    this.lineLength = 0;
    return text.endsWith('\r') ? text.slice(0, -1) : text;
  }

  private onLine(line: string): void {
    if (this.state === 'size') {
      const hex = line.split(';', 1)[0].trim();
      if (!/^[0-9a-fA-F]{1,16}$/.test(hex)) throw malformed(`bad chunk size "${hex.slice(0, 20)}"`);
      const size = parseInt(hex, 16);
      if (!Number.isSafeInteger(size)) throw malformed('chunk size too large');
      if (size === 0) this.state = 'trailer';
      else {
        this.state = 'data';
        this.remaining = size;
      }
      return;
    }
    if (line === '') {
      this.state = 'done';
      return;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw malformed('bad trailer line');
    this.trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
}
