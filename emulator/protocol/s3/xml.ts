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
  if (text.trim() === '' || hasDoctype(text) || tooDeep(text) || XMLValidator.validate(text) !== true) throw s3Error('MalformedXML');
  const doc = parser.parse(text) as Record<string, unknown>;
  const node = doc[root];
  if (node === undefined) throw s3Error('MalformedXML');
  return typeof node === 'object' && node !== null ? (node as Record<string, unknown>) : {};
}

/**
 * S3's request documents are a few levels deep and never declare a DTD. A DOCTYPE (entity
 * expansion) or a document nested thousands deep (the parsers recurse per level) is refused as
 * MalformedXML before any parser sees it.
 */
const MAX_DEPTH = 32;

function hasDoctype(text: string): boolean {
  return /<!DOCTYPE/i.test(text) || /<!ENTITY/i.test(text);
}

/** Counts element nesting by its tags alone: opening `<a>`, closing `</a>`, self-closing `<a/>`. */
function tooDeep(text: string): boolean {
  let depth = 0;
  const tag = /<(\/?)[A-Za-z_][^>]*?(\/?)>/g;
  for (let m = tag.exec(text); m; m = tag.exec(text)) {
    if (m[1]) depth--;
    else if (!m[2] && ++depth > MAX_DEPTH) return true;
  }
  return false;
}

/** The text of a child element, or undefined. */
export function textOf(node: unknown, name: string): string | undefined {
  if (!node || typeof node !== 'object') return undefined;
  const v = (node as Record<string, unknown>)[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'object') return '';
  return String(v);
}
