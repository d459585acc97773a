import { randomBytes } from 'node:crypto';
import type { CallerIdentity } from './identity.js';

export interface RequestContext {
  identity: CallerIdentity;
  requestId: string;
}

/**
 * Request IDs in AWS's form, a version-4-shaped UUID, unique for the life of the process: a
 * random 76-bit prefix drawn at start-up and a counter. They identify requests in answers and
 * logs and need not be unpredictable, and building one from a counter costs a fraction of
 * crypto.randomUUID on the invoke path, which issues one per request.
 */
const random = randomBytes(9).toString('hex');
const head = `${random.slice(0, 8)}-${random.slice(8, 12)}-4${random.slice(12, 15)}-${'89ab'[parseInt(random[15], 16) & 3]}${random.slice(15, 18)}-`;
let counter = 0;

/** The last group is the counter: 48 bits, 2.8e14 requests before it wraps. */
export const newRequestId = (): string => {
  counter = counter === 0xffff_ffff_ffff ? 0 : counter + 1;
  return head + counter.toString(16).padStart(12, '0');
};
