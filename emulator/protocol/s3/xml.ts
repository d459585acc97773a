import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { s3Error } from './errors.js';

export const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  suppressEmptyNode: false,
  format: false,
});

// Values stay strings (a key "0123" must not become 123) and keep their whitespace (keys may
// start or end with spaces).
const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: false,
  htmlEntities: true,
  isArray: (name) => name === 'Object' || name === 'Part',
});

type XmlValue = string | number | boolean | Date | undefined | null | XmlObject | XmlValue[];
export interface XmlObject {
  [name: string]: XmlValue;
}

/** Drops absent members and renders dates the way S3 does (ISO 8601 with milliseconds). */
function normalize(value: XmlValue): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.filter((v) => v !== undefined && v !== null).map(normalize);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined && v !== null) out[k] = normalize(v);
    return out;
  }
  return value;
}

/** A complete S3 XML document with the S3 namespace on its root element. */
export function buildXml(root: string, body: XmlObject | string, withNamespace = true): string {
  const content = typeof body === 'string' ? body : (normalize(body) as Record<string, unknown>);
  const rootValue = typeof content === 'string'
    ? withNamespace ? { '@_xmlns': S3_NS, '#text': content } : content
    : withNamespace ? { '@_xmlns': S3_NS, ...content } : content;
  return `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build({ [root]: rootValue })}`;
}

/** Parses a request body; malformed XML or a missing root element is S3's MalformedXML. */
export function parseXml(text: string, root: string): Record<string, unknown> {
  if (text.trim() === '' || XMLValidator.validate(text) !== true) throw s3Error('MalformedXML');
  const doc = parser.parse(text) as Record<string, unknown>;
  const node = doc[root];
  if (node === undefined) throw s3Error('MalformedXML');
  return typeof node === 'object' && node !== null ? (node as Record<string, unknown>) : {};
}

/** The text of a child element, or undefined. */
export function textOf(node: unknown, name: string): string | undefined {
  if (!node || typeof node !== 'object') return undefined;
  const v = (node as Record<string, unknown>)[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'object') return '';
  return String(v);
}
