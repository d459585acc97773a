import { AwsError } from './errors.js';
import { boundedJson, own, setOwn } from './own.js';
import type { ServiceModel, Shape } from './service-model.js';

/**
 * Validates a request against the service model the way AWS's front end does, collecting every
 * constraint violation into one "N validation errors detected: ..." ValidationException, and
 * turns wire values into their typed form (epoch-second timestamps become Dates).
 *
 * Type mismatches (a string where a number belongs) are SerializationExceptions, as on AWS.
 */
export function validateInput(model: ServiceModel, shapeName: string, input: unknown, errorCode = 'ValidationException'): any {
  const errors: string[] = [];
  // A JSON body of `null` carries no members: the same as an empty body.
  const out = walk(model, shapeName, input ?? {}, '', errors, true);
  if (errors.length) throw validationFailure(errorCode, errors);
  return out;
}

/** AWS's "N validation error(s) detected: a; b" error, for constraint violations found elsewhere. */
export function validationFailure(errorCode: string, errors: string[]): AwsError {
  const n = errors.length;
  // Each message is bounded (boundedJson); the count of messages shown is too, so an over-long
  // list of bad elements cannot build a message of megabytes.
  const shown = n > MAX_MESSAGES ? [...errors.slice(0, MAX_MESSAGES), `(${n - MAX_MESSAGES} more)`] : errors;
  return new AwsError(errorCode, `${n} validation error${n > 1 ? 's' : ''} detected: ${shown.join('; ')}`);
}

const MAX_MESSAGES = 50;

const lowerCamel = new Map<string, string>();

/** AWS names members in lowerCamelCase in validation messages: 'resourceConfig.instanceCount'. */
function memberPath(parent: string, member: string): string {
  // Cached: every request's top-level members would otherwise allocate their names again.
  let name = lowerCamel.get(member);
  if (name === undefined) lowerCamel.set(member, (name = member.charAt(0).toLowerCase() + member.slice(1)));
  return parent ? `${parent}.${name}` : name;
}

/** How a value is quoted in a message: ` 'x'`, ` null`, or nothing for payload bytes. */
function show(value: unknown): string {
  if (value === null || value === undefined) return ' null';
  if (value === '') return '';
  // Strings are shown whole as AWS does, up to a bound that keeps a message of a huge value small.
  if (typeof value === 'string') return ` '${value.length > 16_384 ? `${value.slice(0, 16_384)}...` : value}'`;
  if (Array.isArray(value) || typeof value === 'object') return ` '${boundedJson(value)}'`;
  return ` '${String(value)}'`;
}

/**
 * Java regex constructs the service models use that JavaScript spells differently: the input
 * anchors \A and \z, and the POSIX classes \p{Print} and friends (ASCII-only in Java, see
 * java.util.regex.Pattern). \p{ASCII} is left alone: JavaScript's unicode mode knows it.
 */
const JAVA_CLASSES: Record<string, string> = {
  Print: '\\x20-\\x7E',
  Graph: '\\x21-\\x7E',
  Alnum: '0-9A-Za-z',
  Alpha: 'A-Za-z',
  Digit: '0-9',
  Punct: '!-\\/:-@\\[-`{-~',
  Space: ' \\t\\n\\x0B\\f\\r',
  Upper: 'A-Z',
  Lower: 'a-z',
};
function fromJavaRegex(pattern: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') {
      const cls = /^p\{(\w+)\}/.exec(pattern.slice(i + 1));
      if (cls && JAVA_CLASSES[cls[1]]) {
        out += inClass ? JAVA_CLASSES[cls[1]] : `[${JAVA_CLASSES[cls[1]]}]`;
        i += cls[0].length;
      } else if (!inClass && (pattern[i + 1] === 'A' || pattern[i + 1] === 'z' || pattern[i + 1] === 'Z')) {
        out += pattern[i + 1] === 'A' ? '^' : '$';
        i++;
      } else {
        out += ch + (pattern[i + 1] ?? '');
        i++;
      }
      continue;
    }
    if (ch === '[' && !inClass) inClass = true;
    else if (ch === ']' && inClass) inClass = false;
    out += ch;
  }
  return out;
}

const regexCache = new Map<string, RegExp | null>();
function compile(pattern: string): RegExp | null {
  if (!regexCache.has(pattern)) {
    let re: RegExp | null = null;
    // Patterns are Java regexes; most compile as JS with the unicode flag. Anchored whole-match,
    // as the service applies them.
    const body = fromJavaRegex(pattern).replace(/^\^/, '').replace(/\$$/, '');
    for (const flags of ['u', '']) {
      try {
        re = new RegExp(`^(?:${body})$`, flags);
        break;
      } catch {
        re = null;
      }
    }
    regexCache.set(pattern, re);
  }
  return regexCache.get(pattern)!;
}

const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * Short strings each string shape accepted lately (shapes live as long as their model). A set,
 * not a single value: one shape often types several members of a request (InvokeEndpoint's
 * ContentType and Accept are both `Header`). Bounded: cleared when full.
 */
const validStrings = new WeakMap<Shape, Set<string>>();
const VALID_STRINGS_KEPT = 64;

function rememberValid(shape: Shape, value: string): void {
  if (value.length > 1024) return; // short ones only: nothing large is kept
  let known = validStrings.get(shape);
  if (!known) validStrings.set(shape, (known = new Set()));
  else if (known.size >= VALID_STRINGS_KEPT) known.clear();
  known.add(value);
}

function serialization(message: string): AwsError {
  return new AwsError('SerializationException', message);
}

function walk(model: ServiceModel, shapeName: string, value: unknown, path: string, errors: string[], top = false): unknown {
  const shape: Shape | undefined = model.shapes[shapeName];
  if (!shape || value === undefined || value === null) return value ?? undefined;
  const at = path || shapeName;
  switch (shape.type) {
    case 'structure': {
      if (typeof value !== 'object' || Array.isArray(value)) {
        throw serialization(top ? 'Start of structure or map found where not expected.' : `Unexpected value type at '${at}'`);
      }
      const obj = value as Record<string, unknown>;
      for (const req of shape.required ?? []) {
        if (!Object.hasOwn(obj, req) || obj[req] === undefined || obj[req] === null) errors.push(`Value null at '${memberPath(path, req)}' failed to satisfy constraint: Member must not be null`);
      }
      const members = shape.members ?? {};
      // The input object itself is the answer while every member is known and comes back as it
      // went in (strings, numbers, blobs): a copy is made from the first member that differs
      // (unknown, or converted, e.g. a timestamp), so a typical request allocates no second object.
      let out: Record<string, unknown> | undefined;
      for (const name in obj) {
        // Own members only: `__proto__` or `constructor` in a body must not find Object.prototype's.
        const member = own(members, name);
        const v = obj[name];
        const w = member ? walk(model, member.shape, v, memberPath(path, name), errors) : undefined;
        if (out === undefined) {
          if (member && w === v) continue;
          out = {};
          // Every member before this one is known and unchanged.
          for (const k in obj) {
            if (k === name) break;
            out[k] = obj[k];
          }
        }
        if (member) out[name] = w; // unknown members are dropped, as the service ignores them
      }
      return out ?? obj;
    }
    case 'list': {
      if (!Array.isArray(value)) throw serialization(`Unexpected value type at '${at}': expected a list`);
      checkLength(shape, value.length, value, at, errors);
      return value.map((v, i) => walk(model, shape.member!.shape, v, `${at}.${i + 1}.member`, errors));
    }
    case 'map': {
      if (typeof value !== 'object' || Array.isArray(value)) throw serialization(`Unexpected value type at '${at}': expected a map`);
      const entries = Object.entries(value as Record<string, unknown>);
      checkLength(shape, entries.length, value, at, errors);
      const out: Record<string, unknown> = {};
      for (const [k, v] of entries) {
        walk(model, shape.key!.shape, k, `${at}.key`, errors);
        setOwn(out, k, walk(model, shape.value!.shape, v, `${at}.${k}.member`, errors));
      }
      return out;
    }
    case 'string': {
      if (typeof value !== 'string') throw serialization(`STRING_VALUE can not be converted to a String at '${at}'`);
      // The checks depend on the shape and the value only: a value that passed them before
      // (a client sends the same endpoint name and content type on every request) passes again.
      if (validStrings.get(shape)?.has(value)) return value;
      const before = errors.length;
      // Lengths count code points; only strings with surrogate pairs need the slower count.
      checkLength(shape, SURROGATE.test(value) ? [...value].length : value.length, value, at, errors);
      if (shape.enum && !shape.enum.includes(value)) {
        errors.push(`Value${show(value)} at '${at}' failed to satisfy constraint: Member must satisfy enum value set: [${shape.enum.join(', ')}]`);
      }
      if (shape.pattern) {
        const re = compile(shape.pattern);
        if (re && !re.test(value)) {
          errors.push(`Value${show(value)} at '${at}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${shape.pattern}`);
        }
      }
      if (errors.length === before) rememberValid(shape, value);
      return value;
    }
    case 'integer':
    case 'long':
    case 'float':
    case 'double': {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw serialization(`NUMBER_VALUE can not be converted to ${shape.type === 'long' || shape.type === 'integer' ? 'an Integer' : 'a Double'} at '${at}'`);
      }
      if ((shape.type === 'integer' || shape.type === 'long') && !Number.isInteger(value)) {
        throw serialization(`NUMBER_VALUE can not be converted to an Integer at '${at}'`);
      }
      if (shape.min !== undefined && value < shape.min) errors.push(`Value${show(value)} at '${at}' failed to satisfy constraint: Member must have value greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && value > shape.max) errors.push(`Value${show(value)} at '${at}' failed to satisfy constraint: Member must have value less than or equal to ${shape.max}`);
      return value;
    }
    case 'boolean':
      if (typeof value !== 'boolean') throw serialization(`Unexpected value type at '${at}': expected a boolean`);
      return value;
    case 'timestamp': {
      // awsJson timestamps are epoch seconds; clients send integers (botocore) or fractions (JS).
      if (typeof value === 'number') return new Date(value * 1000);
      if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return new Date(value);
      throw serialization(`Unexpected value type at '${at}': expected a timestamp`);
    }
    case 'blob':
      // rest protocols hand over raw payload bytes; JSON bodies carry base64 strings.
      if (value instanceof Uint8Array) {
        checkLength(shape, value.length, '', at, errors);
        return value;
      }
      if (typeof value !== 'string') throw serialization(`Unexpected value type at '${at}': expected base64 data`);
      return value;
    default:
      return value;
  }
}

function checkLength(shape: Shape, length: number, value: unknown, at: string, errors: string[]) {
  if (shape.min !== undefined && length < shape.min) errors.push(`Value${show(value)} at '${at}' failed to satisfy constraint: Member must have length greater than or equal to ${shape.min}`);
  if (shape.max !== undefined && length > shape.max) errors.push(`Value${show(value)} at '${at}' failed to satisfy constraint: Member must have length less than or equal to ${shape.max}`);
}
