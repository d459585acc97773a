import http from 'node:http';
import { cbor } from '@smithy/core/cbor';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Rng } from '../core/random.js';
import { loadServiceModel, type ServiceModel, type Shape } from '../emulator/protocol/service-model.js';
import { removeDir, startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';

/**
 * Fuzzing every implemented operation of every protocol from the vendored service models:
 * missing, wrong-typed, out-of-range, garbage and bomb inputs, plus S3 path and XML tricks.
 * Asserts: no 5xx (501 only for operations localsage does not implement), no hang (each request
 * must be answered within REQUEST_TIMEOUT_MS), no crash, and the process still answers after.
 * The budget is fixed (CASES_PER_OPERATION inputs per operation, a seeded PRNG), so the run is
 * reproducible; LOCALSAGE_FUZZ_SEED picks another seed, LOCALSAGE_FUZZ_CASES another budget.
 */
const SEED = Number(process.env.LOCALSAGE_FUZZ_SEED ?? 20261129);
const CASES_PER_OPERATION = Number(process.env.LOCALSAGE_FUZZ_CASES ?? 30);
const REQUEST_TIMEOUT_MS = 30_000;
const CONCURRENCY = 8;

let emu: EmulatorProcess;
let port: number;
const rng = new Rng(SEED);
const counts = new Map<string, number>();
let operationsFuzzed = 0;
beforeAll(async () => {
  emu = await startEmulatorProcess({ env: { LOCALSAGE_TRAINING_SLOTS: '1' } });
  port = Number(new URL(emu.url).port);
}, 60_000);

afterAll(async () => {
  await emu?.stop();
  if (emu) removeDir(emu.dataDir);
});

interface Probe {
  label: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer | string;
}

/**
 * The status of the answer. A server may answer before it has read a large body it refuses and
 * then close the connection, as S3 does; the client's unfinished write then fails, which is not a
 * missing answer: the status counts once it has arrived. -1: no answer in time; -2: connection
 * closed with no answer.
 */
function send(p: Probe): Promise<number> {
  return new Promise((ok) => {
    let status = -2;
    const req = http.request({ host: '127.0.0.1', port, method: p.method, path: p.path, headers: { host: `127.0.0.1:${port}`, ...p.headers }, agent: false }, (res) => {
      status = res.statusCode!;
      res.resume();
      res.on('end', () => ok(status));
      res.on('error', () => ok(status));
    });
    req.setTimeout(REQUEST_TIMEOUT_MS, () => {
      req.destroy();
      ok(-1);
    });
    // Once the connection is closed, any answer that came has been parsed (and set `status`).
    req.on('error', () => undefined);
    req.on('close', () => ok(status));
    req.end(p.body);
  });
}

/**
 * Sends the probes and returns the failures: a hang, a reset connection or a 5xx other than 501
 * (NotImplemented, localsage's explicit answer for what it does not serve).
 */
async function run(probes: Probe[]): Promise<string[]> {
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < probes.length) {
      const p = probes[next++];
      const status = await send(p);
      const cls = status === -1 ? 'hang' : status === -2 ? 'reset' : status === 501 ? '501 NotImplemented' : `${Math.floor(status / 100)}xx`;
      counts.set(cls, (counts.get(cls) ?? 0) + 1);
      if (status < 0 || (status >= 500 && status !== 501)) failures.push(`${status} ${p.label}${process.env.LOCALSAGE_FUZZ_VERBOSE ? ` ${p.method} ${p.path} ${JSON.stringify(p.headers)} ${String(p.body).slice(0, 80)}` : ""}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return failures;
}

// ---- values from shapes ----

const pick = <T>(xs: T[]): T => xs[rng.int(xs.length)];
const GARBAGE_STRINGS = ['', ' ', '\u0000', '../../etc/passwd', '%zz', '__proto__', 'constructor', '\uD800', 'a'.repeat(5000), '${x}', '<x/>', 'ml.m5.large', 's3://bucket/key', '0x10', '-1', '1e309'];

function validish(model: ServiceModel, name: string, depth = 0): unknown {
  const shape: Shape | undefined = model.shapes[name];
  if (!shape || depth > 6) return undefined;
  switch (shape.type) {
    case 'structure': {
      const out: Record<string, unknown> = {};
      for (const [m, def] of Object.entries(shape.members ?? {})) if (shape.required?.includes(m) || rng.next() < 0.3) out[m] = validish(model, def.shape, depth + 1);
      return out;
    }
    case 'list':
      return Array.from({ length: 1 + rng.int(2) }, () => validish(model, shape.member!.shape, depth + 1));
    case 'map':
      return { k: validish(model, shape.value!.shape, depth + 1) };
    case 'string':
      if (shape.enum) return pick(shape.enum);
      return 'x'.repeat(Math.max(1, shape.min ?? 1));
    case 'integer':
    case 'long':
      return shape.min ?? 1;
    case 'float':
    case 'double':
      return shape.min ?? 0.5;
    case 'boolean':
      return true;
    case 'timestamp':
      return 1_700_000_000;
    case 'blob':
      return 'AAAA';
    default:
      return undefined;
  }
}

/** A wrong-typed, out-of-range, garbage or bomb value for a shape. */
function hostile(model: ServiceModel, name: string): unknown {
  const shape = model.shapes[name];
  const roll = rng.int(10);
  if (roll === 0) return pick([null, true, 12.5, -1, 2 ** 31, 2 ** 53, [], {}, 'x']);
  if (roll === 1) return JSON.parse('['.repeat(2000) + ']'.repeat(2000));
  if (roll === 2) return { __proto__: 1, constructor: { prototype: 1 }, hasOwnProperty: 1 };
  switch (shape?.type) {
    case 'string':
      return pick([...GARBAGE_STRINGS, 'x'.repeat((shape.max ?? 10) + 1)]);
    case 'integer':
    case 'long':
    case 'float':
    case 'double':
      return pick([(shape.min ?? 0) - 1, (shape.max ?? 2 ** 31) + 1, 2147483648, -2147483649, 1e308, 0.5, '1', 0]);
    case 'list':
      return Array.from({ length: (shape.max ?? 100) + 1 }, () => hostile(model, shape.member!.shape));
    case 'map':
      return Object.fromEntries(Array.from({ length: 60 }, (_, i) => [i === 0 ? '__proto__' : `k${i}`, hostile(model, shape.value!.shape)]));
    case 'structure':
      return pick([[], 'x', 1]);
    default:
      return pick(GARBAGE_STRINGS);
  }
}

/** One input: valid-ish with one member (at some depth) replaced by something hostile, or a member dropped. */
function mutate(model: ServiceModel, inputShape: string | undefined): unknown {
  if (!inputShape) return {};
  const base = validish(model, inputShape) as Record<string, unknown>;
  const shape = model.shapes[inputShape];
  const members = Object.entries(shape.members ?? {});
  if (!members.length) return base;
  const [name, def] = pick(members);
  if (rng.next() < 0.2) delete base[name];
  else base[name] = hostile(model, def.shape);
  return base;
}

const GARBAGE_BODIES = ['null', '[]', '"x"', '1', '{', '{"a":', '\u0000\u0001', '{"__proto__":{"x":1}}', '['.repeat(100_000), `{"a":"${'x'.repeat(100_000)}"}`];

// ---- the protocols ----

const JSON_SERVICES: { model: ServiceModel; prefix: string; contentType: string }[] = [
  { model: loadServiceModel('sagemaker-2017-07-24.json.gz'), prefix: 'SageMaker', contentType: 'application/x-amz-json-1.1' },
  { model: loadServiceModel('logs-2014-03-28.json.gz'), prefix: 'Logs_20140328', contentType: 'application/x-amz-json-1.1' },
  { model: loadServiceModel('application-autoscaling-2016-02-06.json.gz'), prefix: 'AnyScaleFrontendService', contentType: 'application/x-amz-json-1.1' },
  { model: loadServiceModel('monitoring-2010-08-01.json.gz'), prefix: 'GraniteServiceVersion20100801', contentType: 'application/x-amz-json-1.0' },
];

/** Operations the emulator implements: the ones that do not answer 501 to an empty input. */
async function implemented(service: (typeof JSON_SERVICES)[number]): Promise<string[]> {
  const out: string[] = [];
  for (const op of Object.keys(service.model.operations)) {
    const status = await send({ label: '', method: 'POST', path: '/', headers: { 'x-amz-target': `${service.prefix}.${op}`, 'content-type': service.contentType }, body: '{"__probe__":1}' });
    if (status !== 501) out.push(op);
  }
  return out;
}

it('JSON 1.0 / 1.1 and CBOR: every implemented operation, hostile inputs', async () => {
  const probes: Probe[] = [];
  for (const service of JSON_SERVICES) {
    const ops = await implemented(service);
    operationsFuzzed += ops.length;
    for (const op of ops) {
      const input = service.model.operations[op].input?.shape;
      const headers = { 'x-amz-target': `${service.prefix}.${op}`, 'content-type': service.contentType };
      for (let i = 0; i < CASES_PER_OPERATION; i++) probes.push({ label: `${service.prefix}.${op} #${i}`, method: 'POST', path: '/', headers, body: JSON.stringify(mutate(service.model, input)) });
      probes.push({ label: `${service.prefix}.${op} garbage`, method: 'POST', path: '/', headers, body: pick(GARBAGE_BODIES) });
      if (service.prefix === 'GraniteServiceVersion20100801') {
        const cborHeaders = { 'smithy-protocol': 'rpc-v2-cbor', 'content-type': 'application/cbor', accept: 'application/cbor' };
        const path = `/service/GraniteServiceVersion20100801/operation/${op}`;
        for (let i = 0; i < 3; i++) {
          let body: Buffer;
          try {
            body = Buffer.from(cbor.serialize(mutate(service.model, input)));
          } catch {
            body = Buffer.from([0xbf, 0xff]);
          }
          probes.push({ label: `cbor ${op} #${i}`, method: 'POST', path, headers: cborHeaders, body });
        }
        probes.push({ label: `cbor ${op} garbage`, method: 'POST', path, headers: cborHeaders, body: Buffer.from([0x9f, 0x9f, 0x9f, 0xff, 0x5b, 0xff, 0xff, 0xff, 0xff]) });
      }
    }
    for (const op of ['__proto__', 'constructor', 'toString', '', '.', 'A'.repeat(10_000)]) {
      probes.push({ label: `${service.prefix} op ${op.slice(0, 20)}`, method: 'POST', path: '/', headers: { 'x-amz-target': `${service.prefix}.${op}`, 'content-type': service.contentType }, body: '{}' });
    }
  }
  expect(await run(probes)).toEqual([]);
}, 600_000);

it('query protocol: CloudWatch, STS and IAM actions with hostile parameters', async () => {
  const model = loadServiceModel('monitoring-2010-08-01.json.gz');
  const probes: Probe[] = [];
  const form = (params: Record<string, string>) => new URLSearchParams(params).toString();
  for (const op of Object.keys(model.operations)) {
    for (let i = 0; i < 3; i++) {
      const params: Record<string, string> = { Action: op, Version: '2010-08-01' };
      for (const [name, def] of Object.entries(model.shapes[model.operations[op].input?.shape ?? '']?.members ?? {})) {
        if (rng.next() < 0.5) params[`${name}${model.shapes[def.shape]?.type === 'list' ? '.member.1' : ''}`] = String(pick([...GARBAGE_STRINGS, '1', 'true', '2026-01-01T00:00:00Z']));
      }
      if (rng.next() < 0.3) params['__proto__.polluted'] = '1';
      probes.push({ label: `query ${op} #${i}`, method: 'POST', path: '/', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form(params) });
    }
  }
  for (const version of ['2011-06-15', '2010-05-08', '__proto__', 'constructor', '', '2099-01-01']) {
    for (const action of ['GetCallerIdentity', 'GetRole', 'SimulatePrincipalPolicy', '__proto__', 'toString', '']) {
      probes.push({ label: `query ${version} ${action}`, method: 'POST', path: '/', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `Action=${action}&Version=${version}&RoleName=%zz&ActionNames.member.1=${'a'.repeat(3000)}` });
    }
  }
  probes.push({ label: 'query malformed form', method: 'POST', path: '/', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '%%%&&&==Action' });
  expect(await run(probes)).toEqual([]);
}, 600_000);

it('rest-json (SageMaker Runtime): hostile labels, headers and bodies', async () => {
  const probes: Probe[] = [];
  const names = ['x', '%zz', '..', '%2e%2e', 'a'.repeat(300), '__proto__', '%00', 'a%2Fb'];
  for (let i = 0; i < CASES_PER_OPERATION * 10; i++) {
    const headers: Record<string, string> = { 'content-type': pick(['text/csv', 'application/json', 'application/x-recordio-protobuf', 'x/y', '']) };
    if (rng.next() < 0.5) headers['x-amzn-sagemaker-custom-attributes'] = pick(['a'.repeat(2000), 'x']);
    if (rng.next() < 0.3) headers['x-amzn-sagemaker-target-variant'] = pick(['-x', 'a'.repeat(100)]);
    if (rng.next() < 0.3) headers['x-amzn-sagemaker-inference-id'] = 'a'.repeat(100);
    probes.push({ label: `invoke #${i}`, method: 'POST', path: `/endpoints/${pick(names)}/invocations`, headers, body: pick(['1,2', '0x10,Infinity', '', '\u0000', ...GARBAGE_BODIES]) });
  }
  for (const path of ['/endpoints//invocations', '/endpoints/x/invocations?%zz', '/endpoints/x/async-invocations', '/endpoints/x/invocations-response-stream']) {
    probes.push({ label: `invoke path ${path}`, method: 'POST', path, headers: { 'content-type': 'text/csv' }, body: '1' });
  }
  expect(await run(probes)).toEqual([]);
}, 300_000);

it('rest-xml (S3): path tricks, hostile XML and headers', async () => {
  await send({ label: 'create', method: 'PUT', path: '/fuzz-bucket', headers: {} });
  await send({ label: 'put', method: 'PUT', path: '/fuzz-bucket/k', headers: {}, body: 'v' });
  const upload = await new Promise<string>((ok) => {
    http.request({ host: '127.0.0.1', port, method: 'POST', path: '/fuzz-bucket/mp?uploads' }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => ok(/<UploadId>([^<]+)</.exec(text)?.[1] ?? 'none'));
    }).end();
  });
  const paths = ['/', '/fuzz-bucket', '/fuzz-bucket/k', '/fuzz-bucket/../../etc/passwd', '/..%2F..%2Fetc/passwd', '/%00/x', `/${'a'.repeat(300)}/k`, '/fuzz-bucket/%zz', '/Fuzz_Bucket/k', '/fuzz-bucket/' + 'k'.repeat(2000), '/_localsage/../fuzz-bucket/k'];
  const queries = ['', '?delete', '?uploads', `?uploadId=${upload}`, '?uploadId=../../x&partNumber=1', '?partNumber=99999&uploadId=x', '?list-type=2&max-keys=-1', '?list-type=2&continuation-token=%zz', '?cors', '?tagging', '?versioning', '?location', '?acl'];
  const bodies = ['', '<Delete><Object><Key>k</Key></Object></Delete>', '<!DOCTYPE x [<!ENTITY a "b">]><Delete/>', `<CompleteMultipartUpload>${'<a>'.repeat(50_000)}</CompleteMultipartUpload>`, '<CompleteMultipartUpload><Part><PartNumber>x</PartNumber></Part></CompleteMultipartUpload>', '<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>TRACE</AllowedMethod></CORSRule></CORSConfiguration>', '\u0000garbage', '<<<>>>'];
  const headerSets: Record<string, string>[] = [
    {},
    { range: pick(['bytes=-', 'bytes=5-1', 'bytes=999999-', 'items=0-1', 'bytes=0-0,1-1']) },
    { 'x-amz-copy-source': pick(['/fuzz-bucket/k', '../../etc/passwd', '%zz', '/nobucket/x', '']) },
    { 'content-md5': 'garbage', 'x-amz-content-sha256': 'nothex' },
    { 'content-encoding': 'aws-chunked', 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'x-amz-decoded-content-length': '5' },
    { 'x-amz-checksum-crc32': '!!!', 'x-amz-sdk-checksum-algorithm': 'CRC99' },
    { 'if-match': '"x"', 'if-modified-since': 'not a date' },
  ];
  const probes: Probe[] = [];
  for (let i = 0; i < CASES_PER_OPERATION * 50; i++) {
    probes.push({
      label: `s3 #${i}`,
      method: pick(['GET', 'PUT', 'POST', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH']),
      path: pick(paths) + pick(queries),
      headers: pick(headerSets),
      body: pick(bodies),
    });
  }
  expect(await run(probes)).toEqual([]);
}, 300_000);

it('is still answering, and has not crashed', async () => {
  // Anything the emulator logged as an internal error is a finding even if it answered 4xx.
  expect(emu.output().split('\n').filter((l) => /internal error|unhandled|failed:/.test(l))).toEqual([]);
  const status = await send({ label: 'alive', method: 'POST', path: '/', headers: { 'x-amz-target': 'SageMaker.ListEndpoints', 'content-type': 'application/x-amz-json-1.1' }, body: '{}' });
  expect(status).toBe(200);
  expect(emu.proc.exitCode).toBeNull();
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  console.log(`fuzz (seed ${SEED}, ${CASES_PER_OPERATION} cases per operation, ${operationsFuzzed} implemented JSON/CBOR operations): ${total} requests; ${[...counts].sort().map(([k, v]) => `${k} ${v}`).join(', ')}`);
});
