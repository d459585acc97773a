import { randomUUID } from 'node:crypto';
import type { CallerIdentity } from './identity.js';

export interface RequestContext {
  identity: CallerIdentity;
  requestId: string;
}

export const newRequestId = (): string => randomUUID();
