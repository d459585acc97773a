import { Transform, type TransformCallback } from 'node:stream';
import { createHash, timingSafeEqual, type Hash } from 'node:crypto';
import { AwsError } from '../errors.js';
import { chunkSignature, trailerSignature, type ChunkSigning } from '../sigv4.js';

/** Longest chunk-header or trailer line accepted; real ones are < 200 bytes. */
const MAX_LINE = 8192;

const malformed = (why: string) => new AwsError('InvalidRequest', `Malformed aws-chunked request body: ${why}`, 400);

type State = 'size' | 'data' | 'data-crlf' | 'trailer' | 'done';

/**
 * Decodes an `aws-chunked` body (`<hex>[;chunk-signature=..]\r\n<data>\r\n ... 0\r\n<trailers>\r\n`)
 * as a stream. Trailer headers (e.g. `x-amz-checksum-crc32`) are collected in `trailers`, which is
 * complete by the time this stream ends, so a downstream verifier can read it in its flush.
 * With `signing` (--auth sigv4 and a STREAMING-AWS4-HMAC-SHA256-PAYLOAD body) every chunk's
 * signature and the trailer's are verified as they arrive; a wrong one is SignatureDoesNotMatch.
 */
export class AwsChunkedDecoder extends Transform {
  readonly trailers: Record<string, string> = {};
  decodedBytes = 0;
  private state: State = 'size';
  private line: Buffer[] = [];
  private lineLength = 0;
  private remaining = 0;
  private crlfSeen = 0;
  private previousSignature: string;
  private chunkClaim = '';
  private chunkHash: Hash | undefined;
  private trailerText = '';
  private trailerClaim = '';

  constructor(private readonly signing?: ChunkSigning) {
    super();
    this.previousSignature = signing?.seedSignature ?? '';
  }

  /** Checks a claimed signature against the expected one and moves the chain on. */
  private checkSignature(claimed: string, expected: string): void {
    const a = Buffer.from(claimed);
    const b = Buffer.from(expected);
    if (a.length !== b.length || !timingSafeEqual(a, b)) {
      throw new AwsError('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', 403);
    }
    this.previousSignature = expected;
  }

  private endChunk(): void {
    if (!this.signing) return;
    this.checkSignature(this.chunkClaim, chunkSignature(this.signing, this.previousSignature, this.chunkHash!.digest('hex')));
    this.chunkHash = undefined;
  }

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
    if (this.state === 'trailer' && this.lineLength === 0 && this.signing && !this.trailerDone()) {
      return done(new AwsError('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', 403));
    }
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
          this.chunkHash?.update(buf.subarray(pos, pos + n));
          this.decodedBytes += n;
          this.remaining -= n;
          pos += n;
          if (this.remaining === 0) {
            this.endChunk();
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
      if (this.signing) {
        const m = /;\s*chunk-signature=([0-9a-f]{64})\s*$/.exec(line);
        if (!m) throw malformed('a chunk without its chunk-signature');
        this.chunkClaim = m[1];
        this.chunkHash = createHash('sha256');
      }
      if (!/^[0-9a-fA-F]{1,16}$/.test(hex)) throw malformed(`bad chunk size "${hex.slice(0, 20)}"`);
      const size = parseInt(hex, 16);
      if (!Number.isSafeInteger(size)) throw malformed('chunk size too large');
      if (size === 0) {
        this.endChunk(); // the final, empty chunk is signed too
        this.state = 'trailer';
      }
      else {
        this.state = 'data';
        this.remaining = size;
      }
      return;
    }
    if (line === '') {
      if (this.signing && !this.trailerDone()) throw new AwsError('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', 403);
      this.state = 'done';
      return;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw malformed('bad trailer line');
    const name = line.slice(0, colon).trim().toLowerCase();
    if (name === 'x-amz-trailer-signature') {
      this.trailerClaim = line.slice(colon + 1).trim();
      return;
    }
    this.trailerText += `${name}:${line.slice(colon + 1).trim()}\n`;
    this.trailers[name] = line.slice(colon + 1).trim();
  }

  /** With signing: the trailer (if any) carried a signature that verifies. */
  private trailerDone(): boolean {
    if (!this.trailerText) return true;
    if (!this.trailerClaim) return false;
    this.checkSignature(this.trailerClaim, trailerSignature(this.signing!, this.previousSignature, this.trailerText));
    this.trailerText = '';
    return true;
  }
}
