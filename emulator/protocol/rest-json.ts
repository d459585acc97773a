import type { IncomingMessage, ServerResponse } from 'node:http';
import { ClientAborted, readBodyThen } from './body.js';
import { AwsError } from './errors.js';
import { setOwn } from './own.js';
import { payloadSha256, type Authenticator } from './sigv4.js';
import { newRequestId, type RequestContext } from './context.js';
import { cachedIdentity, type IdentityDefaults } from './identity.js';
import { asAwsError } from './aws-json.js';
import type { Operation, ServiceModel, Shape } from './service-model.js';
import { validateInput, validationFailure } from './validate.js';
import { compileOutput, writeError, writeLater, writeOutput, type CompiledOutput } from './rest-json-output.js';

/** What a rest-json operation's handler gets besides its input. */
export interface RestRequestContext extends RequestContext {
  /** performance.now() when the request arrived: the start of its OverheadLatency. */
  arrivedMs: number;
}

export interface RestJsonOperation<I = any, O = any> {
  handle(input: I, ctx: RestRequestContext): O | Promise<O>;
  /**
   * The request failed in the protocol layer (validation, body too large) before `handle` ran.
   * `input` holds what could be read (e.g. the URI labels), so that a service can still count the
   * failed call against its resource.
   */
  rejected?(input: Partial<I>, error: AwsError, ctx: RestRequestContext): void;
}

type Member = NonNullable<Shape['members']>[string];

/** One operation of the model, compiled once: its path matcher and where each input member lives. */
interface CompiledOperation {
  op: Operation;
  method: string;
  path: RegExp;
  /** URI labels in the order of the path's capture groups. */
  labels: { member: string; greedy: boolean }[];
  headers: { member: string; header: string; shape: Shape }[];
  prefixHeaders: { member: string; prefix: string }[];
  query: { member: string; name: string; shape: Shape }[];
  payload?: { member: string; shape: Shape };
  /** Members that travel in a JSON body (operations without a payload member). */
  bodyMembers: string[];
  bodyLimit: number;
  output?: CompiledOutput;
  successStatus: number;
}

/** Bodies without a modelled size limit (JSON bodies) may be this large. */
const DEFAULT_BODY_LIMIT = 16 * 1024 * 1024;

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function compileOperation(model: ServiceModel, op: Operation): CompiledOperation {
  const [pathPart, fixedQuery] = op.http.requestUri.split('?');
  const labels: CompiledOperation['labels'] = [];
  let pattern = '^';
  for (const piece of pathPart.split(/(\{[^}]+\})/)) {
    const m = /^\{([^}+]+)(\+?)\}$/.exec(piece);
    if (!m) {
      pattern += escapeRegex(piece);
      continue;
    }
    const greedy = m[2] === '+';
    const input = op.input ? model.shapes[op.input.shape] : undefined;
    const member = Object.entries(input?.members ?? {}).find(([, v]) => v.location === 'uri' && (v.locationName ?? '') === m[1])?.[0] ?? m[1];
    labels.push({ member, greedy });
    pattern += greedy ? '(.+)' : '([^/]+)';
  }
  // A modelled fixed query (`?uploads`) must be present; any other query string may follow.
  pattern += fixedQuery ? `\\?(?:[^#]*&)?${escapeRegex(fixedQuery)}(?:[&=#].*)?$` : '(?:\\?.*)?$';

  const input = op.input ? model.shapes[op.input.shape] : undefined;
  const headers: CompiledOperation['headers'] = [];
  const prefixHeaders: CompiledOperation['prefixHeaders'] = [];
  const query: CompiledOperation['query'] = [];
  const bodyMembers: string[] = [];
  let payload: CompiledOperation['payload'];
  for (const [name, m] of Object.entries(input?.members ?? {}) as [string, Member & { location?: string }][]) {
    const shape = model.shapes[m.shape];
    if (m.location === 'header') headers.push({ member: name, header: (m.locationName ?? name).toLowerCase(), shape });
    else if (m.location === 'headers') prefixHeaders.push({ member: name, prefix: (m.locationName ?? '').toLowerCase() });
    else if (m.location === 'querystring') query.push({ member: name, name: m.locationName ?? name, shape });
    else if (m.location === 'uri') continue;
    else if (input?.payload === name) payload = { member: name, shape };
    else bodyMembers.push(name);
  }
  const payloadMax = payload?.shape.type === 'blob' || payload?.shape.type === 'string' ? payload.shape.max : undefined;
  return {
    op,
    method: op.http.method,
    path: new RegExp(pattern),
    labels,
    headers,
    prefixHeaders,
    query,
    payload,
    bodyMembers,
    bodyLimit: payloadMax ?? DEFAULT_BODY_LIMIT,
    output: op.output ? compileOutput(model, model.shapes[op.output.shape]) : undefined,
    successStatus: op.http.responseCode ?? 200,
  };
}

/** A header or query value in the type its shape names; a mismatch is a SerializationException. */
function fromText(text: string, shape: Shape, where: string): unknown {
  switch (shape.type) {
    case 'integer':
    case 'long':
    case 'float':
    case 'double': {
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n)) throw new AwsError('SerializationException', `Unable to parse '${text}' at '${where}' as a number.`);
      return n;
    }
    case 'boolean':
      if (text !== 'true' && text !== 'false') throw new AwsError('SerializationException', `Unable to parse '${text}' at '${where}' as a boolean.`);
      return text === 'true';
    case 'timestamp': {
      const ms = /^\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : Date.parse(text);
      if (!Number.isFinite(ms)) throw new AwsError('SerializationException', `Unable to parse '${text}' at '${where}' as a timestamp.`);
      return ms / 1000; // validate.ts turns epoch seconds into a Date
    }
    default:
      return text;
  }
}

/**
 * The rest-json protocol, driven by the service model as LocalStack's parser is: each operation's
 * `http.requestUri` gives its path (URI labels), and each input member's `location` trait says
 * where it travels (header, querystring, uri, payload or JSON body). The input is validated
 * against the model here, in the protocol layer, before the handler runs; the output is
 * serialized from the output shape's traits the same way (header members become headers, the
 * payload member the body). Errors name their code in `x-amzn-errortype`, as every SDK reads it.
 */
export function createRestJsonService(opts: {
  model: ServiceModel;
  operations: Record<string, RestJsonOperation>;
  defaults: IdentityDefaults;
  /** SigV4 verification (--auth sigv4), once the body is read. */
  auth?: Authenticator;
}) {
  const { model, operations, defaults } = opts;
  // A service's own validation error code: SageMaker Runtime models a synthetic ValidationError.
  const validationCode = model.shapes.ValidationError?.exception ? 'ValidationError' : 'ValidationException';
  const compiled = Object.values(model.operations).map((op) => compileOperation(model, op));
  const prefixes = [...new Set(compiled.map((c) => c.op.http.requestUri.split('{')[0]))];

  function find(method: string | undefined, url: string | undefined): { c: CompiledOperation; m: RegExpExecArray } | undefined {
    if (method === undefined || url === undefined) return undefined;
    for (const c of compiled) {
      if (c.method !== method) continue;
      const m = c.path.exec(url);
      if (m) return { c, m };
    }
    return undefined;
  }

  /**
   * Serves the request if it is for one of this service's operations and says whether it was
   * (the router asks first, per request): a prefix test, then one regex per operation.
   */
  function serve(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url;
    if (url === undefined) return false;
    let known = false;
    for (const p of prefixes) if (url.startsWith(p)) known = true;
    const found = known ? find(req.method, url) : undefined;
    if (!found) return false;
    handle(found.c, found.m, req, res);
    return true;
  }

  /**
   * Serves one request. Callback-style rather than async: a synchronous handler's request then
   * costs no promise and no microtask hop between reading the body and answering.
   */
  function handle(c: CompiledOperation, m: RegExpExecArray, req: IncomingMessage, res: ServerResponse): void {
    const arrivedMs = performance.now();
    const requestId = newRequestId();
    const ctx: RestRequestContext = { identity: cachedIdentity(req.headers, defaults), requestId, arrivedMs };
    const operation = operations[c.op.name];
    const raw: Record<string, unknown> = {};
    let handled = false; // past this point the handler counts its own outcomes
    const fail = (err: unknown) => {
      if (err instanceof ClientAborted) return void res.destroy(); // nobody left to answer
      const e = asAwsError(err);
      if (operation?.rejected && !handled) operation.rejected(raw, e, ctx);
      writeError(e, requestId, req, res);
    };
    try {
      if (!operation) {
        req.resume();
        throw new AwsError('NotImplemented', `localsage does not implement ${c.op.name} yet.`, 501);
      }
      readLabels(c, m, raw);
      readHeadersAndQuery(c, req, raw);
    } catch (err) {
      return fail(err);
    }
    readBodyThen(req, c.bodyLimit, tooLarge(c), (err, body) => {
      if (err) return fail(err);
      try {
        opts.auth?.verify(req, 'json', payloadSha256(body!));
        readBodyMembers(c, body!, raw);
        const input = c.op.input ? validateInput(model, c.op.input.shape, raw, validationCode) : {};
        handled = true;
        const result = operation.handle(input, ctx);
        if (result instanceof Promise) result.then((output) => writeOutput(c, output, requestId, res), fail);
        else writeLater(c, result, requestId, req, res);
      } catch (e) {
        fail(e);
      }
    });
  }

  /** The error for a body over the operation's limit, one function per operation (not per request). */
  const tooLargeByOperation = new Map<CompiledOperation, () => AwsError>();
  function tooLarge(c: CompiledOperation): () => AwsError {
    let f = tooLargeByOperation.get(c);
    if (!f) {
      const message = `Value at '${lowerFirst(c.payload?.member ?? 'body')}' failed to satisfy constraint: Member must have length less than or equal to ${c.bodyLimit}`;
      tooLargeByOperation.set(c, (f = () => validationFailure(validationCode, [message])));
    }
    return f;
  }

  function readLabels(c: CompiledOperation, m: RegExpExecArray, raw: Record<string, unknown>): void {
    for (let i = 0; i < c.labels.length; i++) {
      const { member, greedy } = c.labels[i];
      const text = m[i + 1];
      try {
        // Text without a %-escape decodes to itself: most labels (endpoint names) skip the decoder.
        raw[member] = !text.includes('%') ? text : greedy ? text.split('/').map(decodeURIComponent).join('/') : decodeURIComponent(text);
      } catch {
        throw validationFailure(validationCode, [`Value '${text}' at '${lowerFirst(member)}' failed to satisfy constraint: Member must be a valid URI-encoded label (malformed %-escape)`]);
      }
    }
  }

  function readHeadersAndQuery(c: CompiledOperation, req: IncomingMessage, raw: Record<string, unknown>): void {
    const h = req.headers;
    for (const { member, header, shape } of c.headers) {
      const v = h[header];
      if (v === undefined) continue;
      const text = Array.isArray(v) ? v.join(',') : v;
      raw[member] = shape.type === 'list' ? text.split(',').map((s) => s.trim()) : fromText(text, shape, lowerFirst(member));
    }
    for (const { member, prefix } of c.prefixHeaders) {
      const map: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(h)) if (k.startsWith(prefix) && v !== undefined) setOwn(map, k.slice(prefix.length), Array.isArray(v) ? v.join(',') : v);
      if (Object.keys(map).length) raw[member] = map;
    }
    if (c.query.length === 0) return;
    const q = req.url!.indexOf('?');
    if (q < 0) return;
    let params: URLSearchParams;
    try {
      params = new URLSearchParams(req.url!.slice(q + 1));
    } catch {
      throw validationFailure(validationCode, ['The query string is not valid']);
    }
    for (const { member, name, shape } of c.query) {
      const all = params.getAll(name);
      if (!all.length) continue;
      raw[member] = shape.type === 'list' ? all : fromText(all[0], shape, lowerFirst(member));
    }
  }

  function readBodyMembers(c: CompiledOperation, body: Buffer, raw: Record<string, unknown>): void {
    if (c.payload) {
      const t = c.payload.shape.type;
      if (t === 'blob') raw[c.payload.member] = body;
      else if (t === 'string') raw[c.payload.member] = body.toString('utf8');
      else if (body.length) raw[c.payload.member] = parseJson(body);
      return;
    }
    if (!c.bodyMembers.length || !body.length) return;
    const parsed = parseJson(body);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new AwsError('SerializationException', 'Start of structure or map found where not expected.');
    for (const name of c.bodyMembers) if ((parsed as Record<string, unknown>)[name] !== undefined) raw[name] = (parsed as Record<string, unknown>)[name];
  }

  return { serve };
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new AwsError('SerializationException', 'Unable to parse the request body as JSON.');
  }
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

export type RestJsonService = ReturnType<typeof createRestJsonService>;
