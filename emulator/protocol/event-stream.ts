import type { ServerResponse } from 'node:http';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import type { ServiceModel, Shape } from './service-model.js';

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const str = (value: string) => ({ type: 'string' as const, value });

/** An event stream union's members, resolved once when the operation is compiled. */
export type EventStreamShapes = Record<string, Shape>;

export function eventStreamShapes(model: ServiceModel, union: Shape): EventStreamShapes {
  return Object.fromEntries(Object.entries(union.members ?? {}).map(([name, m]) => [name, model.shapes[m.shape]]));
}

/**
 * An output payload of an `eventstream` union shape (e.g. SageMaker Runtime's ResponseStream),
 * written as application/vnd.amazon.eventstream messages framed by @smithy/eventstream-codec.
 * The handler gives an async iterable of union values, `{ <MemberName>: {...} }`. A member whose
 * shape is an event (`PayloadPart`) becomes `:message-type event` / `:event-type <MemberName>`,
 * its `eventpayload` member the raw body; a member whose shape is an exception
 * (`ModelStreamError`) becomes `:message-type exception` / `:exception-type <MemberName>`, its
 * fields a JSON body. The HTTP status and headers (a flat name, value list) go out first.
 */
export async function writeEventStream(
  shapes: EventStreamShapes,
  events: AsyncIterable<Record<string, Record<string, unknown>>>,
  status: number,
  headers: (string | number)[],
  res: ServerResponse,
): Promise<void> {
  res.writeHead(status, [...headers, 'Content-Type', 'application/vnd.amazon.eventstream'].map(String));
  try {
    for await (const event of events) {
      const [name, value] = Object.entries(event)[0];
      const shape = shapes[name];
      if (!shape) throw new Error(`${name} is not a member of the event stream`);
      if (!res.write(encode(name, shape, value))) await new Promise((r) => res.once('drain', r));
      if (res.destroyed) break;
    }
  } finally {
    res.end();
  }
}

function encode(name: string, shape: Shape, value: Record<string, unknown>): Uint8Array {
  if (shape.exception) {
    return codec.encode({
      headers: { ':message-type': str('exception'), ':exception-type': str(name), ':content-type': str('application/json') },
      body: fromUtf8(JSON.stringify(value)),
    });
  }
  const payloadMember = Object.entries(shape.members ?? {}).find(([, m]) => (m as { eventpayload?: boolean }).eventpayload)?.[0];
  const payload = payloadMember ? value[payloadMember] : undefined;
  const body = payload instanceof Uint8Array ? payload : fromUtf8(JSON.stringify(payloadMember ? (payload ?? {}) : value));
  return codec.encode({
    headers: {
      ':message-type': str('event'),
      ':event-type': str(name),
      ':content-type': str(payload instanceof Uint8Array ? 'application/octet-stream' : 'application/json'),
    },
    body,
  });
}
