import { createHash, type Hash } from 'node:crypto';
import * as zlib from 'node:zlib';

/**
 * The flexible checksums S3 accepts (`x-amz-checksum-<alg>`). Values travel as base64 of the
 * big-endian digest. CRCs are computed incrementally so multi-GB bodies never sit in memory.
 */
export const CHECKSUM_ALGORITHMS = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

export function parseAlgorithm(name: string | undefined): ChecksumAlgorithm | undefined {
  const upper = name?.trim().toUpperCase();
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(upper ?? '') ? (upper as ChecksumAlgorithm) : undefined;
}

export const checksumHeader = (alg: ChecksumAlgorithm) => `x-amz-checksum-${alg.toLowerCase()}`;

/** Byte length of each digest, to reject malformed header values before streaming the body. */
export const DIGEST_BYTES: Record<ChecksumAlgorithm, number> = {
  CRC32: 4,
  CRC32C: 4,
  CRC64NVME: 8,
  SHA1: 20,
  SHA256: 32,
};

export interface Digest {
  update(chunk: Buffer): void;
  /** Base64 of the digest, as S3 sends it. */
  digest(): string;
}

function reflectedTable32(poly: number): Uint32Array {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    table[i] = c >>> 0;
  }
  return table;
}

const CRC32_TABLE = reflectedTable32(0xedb88320);
const CRC32C_TABLE = reflectedTable32(0x82f63b78);

function crc32Update(table: Uint32Array, crc: number, buf: Buffer): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < buf.length; i++) c = table[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

// zlib.crc32 (Node >= 20.15) is native and much faster than the table loop.
const nativeCrc32 = (zlib as { crc32?: (data: Buffer, value?: number) => number }).crc32;

class Crc32Digest implements Digest {
  private crc = 0;
  constructor(private readonly table: Uint32Array, private readonly native?: (d: Buffer, v?: number) => number) {}
  update(chunk: Buffer): void {
    this.crc = this.native ? this.native(chunk, this.crc) : crc32Update(this.table, this.crc, chunk);
  }
  digest(): string {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(this.crc >>> 0);
    return out.toString('base64');
  }
}

// CRC-64/NVME (reflected poly 0x9a6c9329ac4bc9b5), kept as two 32-bit halves: BigInt per byte is
// two orders of magnitude slower.
const CRC64_HI = new Uint32Array(256);
const CRC64_LO = new Uint32Array(256);
{
  const polyHi = 0x9a6c9329;
  const polyLo = 0xac4bc9b5;
  for (let i = 0; i < 256; i++) {
    let hi = 0;
    let lo = i;
    for (let k = 0; k < 8; k++) {
      const bit = lo & 1;
      lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
      hi = hi >>> 1;
      if (bit) {
        hi = (hi ^ polyHi) >>> 0;
        lo = (lo ^ polyLo) >>> 0;
      }
    }
    CRC64_HI[i] = hi;
    CRC64_LO[i] = lo;
  }
}

class Crc64NvmeDigest implements Digest {
  private hi = 0xffffffff;
  private lo = 0xffffffff;
  update(chunk: Buffer): void {
    let hi = this.hi;
    let lo = this.lo;
    for (let i = 0; i < chunk.length; i++) {
      const idx = (lo ^ chunk[i]) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ CRC64_LO[idx];
      hi = (hi >>> 8) ^ CRC64_HI[idx];
    }
    this.hi = hi >>> 0;
    this.lo = lo >>> 0;
  }
  digest(): string {
    const out = Buffer.alloc(8);
    out.writeUInt32BE(~this.hi >>> 0, 0);
    out.writeUInt32BE(~this.lo >>> 0, 4);
    return out.toString('base64');
  }
}

class HashDigest implements Digest {
  private readonly hash: Hash;
  constructor(alg: string) {
    this.hash = createHash(alg);
  }
  update(chunk: Buffer): void {
    this.hash.update(chunk);
  }
  digest(): string {
    return this.hash.digest('base64');
  }
}

export function createDigest(alg: ChecksumAlgorithm): Digest {
  switch (alg) {
    case 'CRC32':
      return new Crc32Digest(CRC32_TABLE, nativeCrc32);
    case 'CRC32C':
      return new Crc32Digest(CRC32C_TABLE);
    case 'CRC64NVME':
      return new Crc64NvmeDigest();
    case 'SHA1':
      return new HashDigest('sha1');
    case 'SHA256':
      return new HashDigest('sha256');
  }
}

/** True when `value` is base64 of exactly the digest size of `alg`. */
export function isWellFormed(alg: ChecksumAlgorithm, value: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return false;
  return Buffer.from(value, 'base64').length === DIGEST_BYTES[alg];
}
