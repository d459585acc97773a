import { AwsError } from './errors.js';
import { setOwn } from './own.js';
import type { ServiceModel } from './service-model.js';

/**
 * Turns an awsQuery form (`Dimensions.member.1.Name=EndpointName&Period=60`) into the JSON shape
 * of the operation's input, guided by the service model: lists are `<Name>.member.<n>`, maps
 * `<Name>.entry.<n>.key/value`, numbers and booleans are typed, timestamps stay ISO strings for
 * the validator to read. The result is validated like a JSON request afterwards.
 */
export function queryInput(model: ServiceModel, shapeName: string, params: URLSearchParams): Record<string, unknown> {
  // Null-prototype nodes: a parameter named `__proto__.x` must not reach Object.prototype.
  const tree: Tree = Object.create(null);
  for (const [key, value] of params) {
    if (key === 'Action' || key === 'Version') continue;
    let node = tree;
    const parts = key.split('.');
    parts.forEach((p, i) => {
      if (i === parts.length - 1) node[p] = value;
      else node = (typeof node[p] === 'object' ? node[p] : (node[p] = Object.create(null))) as Tree;
    });
  }
  return convert(model, shapeName, tree) as Record<string, unknown>;
}

interface Tree {
  [k: string]: string | Tree;
}

function convert(model: ServiceModel, shapeName: string, node: string | Tree): unknown {
  const shape = model.shapes[shapeName];
  if (!shape) return node;
  switch (shape.type) {
    case 'structure': {
      if (typeof node !== 'object') return node;
      const out: Record<string, unknown> = {};
      for (const [name, member] of Object.entries(shape.members ?? {})) {
        const wire = member.locationName ?? name;
        if (Object.hasOwn(node, wire)) out[name] = convert(model, member.shape, node[wire]);
      }
      return out;
    }
    case 'list': {
      if (typeof node !== 'object') return node === '' ? [] : node;
      const items = (typeof node.member === 'object' ? node.member : node) as Tree;
      return Object.keys(items)
        .filter((k) => /^\d+$/.test(k))
        .sort((a, b) => Number(a) - Number(b))
        .map((k) => convert(model, shape.member!.shape, items[k]));
    }
    case 'map': {
      if (typeof node !== 'object') return node;
      const entries = (typeof node.entry === 'object' ? node.entry : node) as Tree;
      const out: Record<string, unknown> = {};
      for (const e of Object.values(entries)) if (typeof e === 'object') setOwn(out, String(e.key), convert(model, shape.value!.shape, e.value));
      return out;
    }
    case 'integer':
    case 'long':
    case 'float':
    case 'double': {
      const n = Number(node);
      if (typeof node !== 'string' || node.trim() === '' || !Number.isFinite(n)) {
        throw new AwsError('InvalidParameterValue', `Value ${JSON.stringify(node)} is not a valid number.`);
      }
      return n;
    }
    case 'boolean':
      if (node === 'true' || node === 'false') return node === 'true';
      throw new AwsError('InvalidParameterValue', `Value ${JSON.stringify(node)} is not a valid boolean.`);
    default:
      return node;
  }
}
