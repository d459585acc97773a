/**
 * SageMaker Runtime's rest-json protocol as clients see it: members read from headers and the
 * URI label by the model-driven reader, validation errors in AWS's exact shape, and requests no
 * SDK would send (a malformed %-escape) answered with a 4xx rather than a 500.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import {
  InvokeEndpointAsyncCommand,
  InvokeEndpointCommand,
  InvokeEndpointWithResponseStreamCommand,
} from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, LINEAR_LEARNER_IMAGE, rejection } from './helpers/clients.js';
import { toCsv } from './helpers/data.js';
import { removeDir, startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';
import { deploy, trainBinaryOnSeparableData } from './helpers/pipeline.js';

let emu: EmulatorProcess;
let c: ReturnType<typeof clients>;
let row: string;

/** A raw HTTP request, for what no SDK sends. */
function raw(path: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((ok, fail) => {
    const req = request(`${emu.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'text/csv', ...headers } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => ok({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', fail);
    req.end(body);
  });
}

beforeAll(async () => {
  emu = await startEmulatorProcess();
  c = clients(emu.url);
  const { data, job } = await trainBinaryOnSeparableData(c, { bucket: 'rt-protocol', name: 'rt-protocol', rows: 400, features: 4, seed: 3 });
  expect(job.TrainingJobStatus).toBe('Completed');
  await deploy(c.sagemaker, 'rt-protocol', LINEAR_LEARNER_IMAGE, job.ModelArtifacts!.S3ModelArtifacts!, [
    { name: 'Blue', weight: 1 },
    { name: 'Green', weight: 1 },
  ]);
  row = toCsv([data.x[0]]).trim();
});

afterAll(async () => {
  await emu?.stop();
  if (emu) removeDir(emu.dataDir);
});

describe('members from headers', () => {
  it('Target-Variant routes, Custom-Attributes come back, Inference-Id is accepted, Accept picks the format', async () => {
    for (const variant of ['Blue', 'Green']) {
      const out = await c.runtime.send(
        new InvokeEndpointCommand({
          EndpointName: 'rt-protocol',
          Body: Buffer.from(row),
          ContentType: 'text/csv',
          Accept: 'application/jsonlines',
          TargetVariant: variant,
          CustomAttributes: `trace=${variant}; c000b4f9-df62-4c85-a0bf-7c525f9104a4`,
          InferenceId: `id-${variant}`,
        }),
      );
      expect(out.InvokedProductionVariant).toBe(variant);
      expect(out.CustomAttributes).toBe(`trace=${variant}; c000b4f9-df62-4c85-a0bf-7c525f9104a4`);
      expect(out.ContentType).toBe('application/jsonlines');
      const line = JSON.parse(Buffer.from(out.Body!).toString().trim());
      expect([0, 1]).toContain(line.predicted_label);
    }
    const json = await c.runtime.send(new InvokeEndpointCommand({ EndpointName: 'rt-protocol', Body: Buffer.from(row), ContentType: 'text/csv', Accept: 'application/json' }));
    expect(json.ContentType).toBe('application/json');
    expect(json.CustomAttributes).toBeUndefined();
    expect(JSON.parse(Buffer.from(json.Body!).toString()).predictions).toHaveLength(1);
  });

  it('an Accept the model cannot produce is the container refusing: ModelError 424 with its 406', async () => {
    const e = await rejection(c.runtime.send(new InvokeEndpointCommand({ EndpointName: 'rt-protocol', Body: Buffer.from(row), ContentType: 'text/csv', Accept: 'image/png' })));
    expect(e.name).toBe('ModelError');
    expect(e.$metadata.httpStatusCode).toBe(424);
    expect(e.OriginalStatusCode).toBe(406);
  });
});

describe('validation in the protocol layer', () => {
  it('an over-long Inference-Id: ValidationError 400 naming the member', async () => {
    const id = 'x'.repeat(65);
    const e = await rejection(c.runtime.send(new InvokeEndpointCommand({ EndpointName: 'rt-protocol', Body: Buffer.from(row), ContentType: 'text/csv', InferenceId: id })));
    expect(e.name).toBe('ValidationError');
    expect(e.$metadata.httpStatusCode).toBe(400);
    expect(e.message).toBe(`1 validation error detected: Value '${id}' at 'inferenceId' failed to satisfy constraint: Member must have length less than or equal to 64`);
  });

  it('every violation in one message: a bad endpoint name and a bad target variant', async () => {
    const e = await rejection(
      c.runtime.send(new InvokeEndpointCommand({ EndpointName: 'bad_name', Body: Buffer.from(row), ContentType: 'text/csv', TargetVariant: '-x' })),
    );
    expect(e.name).toBe('ValidationError');
    expect(e.message).toBe(
      "2 validation errors detected: Value 'bad_name' at 'endpointName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9])*; " +
        "Value '-x' at 'targetVariant' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9])*",
    );
  });

  it('Custom-Attributes over 1024 characters are refused before the model runs', async () => {
    const e = await rejection(c.runtime.send(new InvokeEndpointCommand({ EndpointName: 'rt-protocol', Body: Buffer.from(row), ContentType: 'text/csv', CustomAttributes: 'a'.repeat(1025) })));
    expect(e.name).toBe('ValidationError');
    expect(e.message).toMatch(/^1 validation error detected: Value '(a+)' at 'customAttributes' failed to satisfy constraint: Member must have length less than or equal to 1024$/);
  });

  it('a malformed %-escape in the endpoint label is a 400 ValidationError, not a 500', async () => {
    const r = await raw('/endpoints/bad%ZZname/invocations', row);
    expect(r.status).toBe(400);
    expect(r.headers['x-amzn-errortype']).toBe('ValidationError');
    expect(JSON.parse(r.body).message).toBe(
      "1 validation error detected: Value 'bad%ZZname' at 'endpointName' failed to satisfy constraint: Member must be a valid URI-encoded label (malformed %-escape)",
    );
    // The connection and the server carry on.
    const ok = await raw('/endpoints/rt%2Dprotocol/invocations', row, { 'X-Amzn-SageMaker-Target-Variant': 'Blue' });
    expect(ok.status).toBe(200);
    expect(ok.headers['x-amzn-invoked-production-variant']).toBe('Blue');
    expect(ok.headers['x-amzn-requestid']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('a body over 6 MiB is refused with the BodyBlob limit of the model', async () => {
    const r = await raw('/endpoints/rt-protocol/invocations', '1'.repeat(6 * 1024 * 1024 + 1));
    expect(r.status).toBe(400);
    expect(r.headers['x-amzn-errortype']).toBe('ValidationError');
    expect(JSON.parse(r.body).message).toBe("1 validation error detected: Value at 'body' failed to satisfy constraint: Member must have length less than or equal to 6291456");
  });
});

describe('request bodies, however they arrive', () => {
  /** Sends `head` and then `parts` with a pause between them, over one raw socket; resolves with what came back. */
  function rawSocket(head: string, parts: string[], endEarly = false): Promise<string> {
    const { port } = new URL(emu.url);
    return new Promise((ok, fail) => {
      const socket = connect(Number(port), '127.0.0.1', async () => {
        socket.write(head);
        for (const p of parts) {
          await new Promise((r) => setTimeout(r, 20));
          socket.write(p);
        }
        if (endEarly) socket.destroy();
      });
      let text = '';
      socket.on('data', (d) => {
        text += d;
        if (/\r\n\r\n/.test(text) && /content-length: (\d+)/i.test(text)) {
          const length = Number(/content-length: (\d+)/i.exec(text)![1]);
          if (text.length >= text.indexOf('\r\n\r\n') + 4 + length) socket.end();
        }
      });
      socket.on('close', () => ok(text));
      socket.on('error', fail);
    });
  }

  it('a Content-Length body sent in several pieces is read whole', async () => {
    const head = `POST /endpoints/rt-protocol/invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/csv\r\nContent-Length: ${Buffer.byteLength(row)}\r\n\r\n`;
    const cut = Math.floor(row.length / 2);
    const answer = await rawSocket(head, [row.slice(0, cut), row.slice(cut)]);
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    const whole = await raw('/endpoints/rt-protocol/invocations', row, { 'X-Amzn-SageMaker-Target-Variant': 'Blue' });
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)).predictions[0].score).toBe(JSON.parse(whole.body).predictions[0].score);
  });

  it('a chunked body (no Content-Length) is read whole, and one past the limit is refused', async () => {
    const head = 'POST /endpoints/rt-protocol/invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/csv\r\nTransfer-Encoding: chunked\r\n\r\n';
    const chunk = (t: string) => `${Buffer.byteLength(t).toString(16)}\r\n${t}\r\n`;
    const answer = await rawSocket(head, [chunk(row.slice(0, 3)), chunk(row.slice(3)), '0\r\n\r\n']);
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer).toMatch(/"predictions":\[\{"score":/);
    const big = '1'.repeat(1024 * 1024);
    const refused = await rawSocket(head, [...Array.from({ length: 7 }, () => chunk(big)), '0\r\n\r\n']);
    expect(refused).toMatch(/^HTTP\/1\.1 400 /);
    expect(refused).toMatch(/x-amzn-errortype: ValidationError/i);
  });

  it('a client that goes away mid-body gets no answer, and the endpoint serves the next request', async () => {
    const head = 'POST /endpoints/rt-protocol/invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/csv\r\nContent-Length: 1000\r\n\r\n';
    expect(await rawSocket(head, [row], true)).toBe('');
    const next = await raw('/endpoints/rt-protocol/invocations', row);
    expect(next.status).toBe(200);
  });
});

describe('the other runtime operations, through the same reader', () => {
  it('InvokeEndpointAsync: the InputLocation header is required; an endpoint without AsyncInferenceConfig refuses it', async () => {
    const missing = await rejection(c.runtime.send(new InvokeEndpointAsyncCommand({ EndpointName: 'rt-protocol' } as never)));
    expect(missing.$metadata.httpStatusCode).toBe(400);
    expect(missing.name).toBe('ValidationError');
    expect(missing.message).toMatch(/inputLocation/);
    const a = await rejection(c.runtime.send(new InvokeEndpointAsyncCommand({ EndpointName: 'rt-protocol', InputLocation: 's3://rt-protocol/in.csv' })));
    expect(a.$metadata.httpStatusCode).toBe(400);
    expect(a.name).toBe('ValidationError');
  });

  it('InvokeEndpointWithResponseStream: a missing endpoint is a ValidationError before any stream starts', async () => {
    const s = await rejection(c.runtime.send(new InvokeEndpointWithResponseStreamCommand({ EndpointName: 'no-such-endpoint', Body: Buffer.from(row), ContentType: 'text/csv' })));
    expect(s.$metadata.httpStatusCode).toBe(400);
    expect(s.message).toBe('Endpoint no-such-endpoint of account 000000000000 not found.');
  });
});
