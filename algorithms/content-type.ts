type ParsedContentType = Readonly<{ mime: string; params: Readonly<Record<string, string>> }>;

/** Clients send the same few Content-Type / Accept values on every request: parse each once. */
const parsed = new Map<string, ParsedContentType>();
const NONE: ParsedContentType = Object.freeze({ mime: '', params: Object.freeze({}) });

/** Splits `text/csv; label_size=0; charset=utf-8` into a lower-cased media type and parameters. */
export function parseContentType(value: string | undefined): ParsedContentType {
  if (!value) return NONE;
  let known = parsed.get(value);
  if (!known) {
    if (parsed.size >= 256) parsed.clear(); // bounded against clients that vary them
    known = Object.freeze(parseUncached(value));
    parsed.set(value, known);
  }
  return known;
}

function parseUncached(value: string): { mime: string; params: Record<string, string> } {
  const [mime, ...rest] = value.split(';');
  const params: Record<string, string> = {};
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  return { mime: mime.trim().toLowerCase(), params: Object.freeze(params) };
}

export const RECORDIO_MIMES = new Set(['application/x-recordio-protobuf', 'application/x-recordio']);
export const CSV_MIMES = new Set(['text/csv', 'text/x-csv']);
