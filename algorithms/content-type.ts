/** Splits `text/csv; label_size=0; charset=utf-8` into a lower-cased media type and parameters. */
export function parseContentType(value: string | undefined): { mime: string; params: Record<string, string> } {
  if (!value) return { mime: '', params: {} };
  const [mime, ...rest] = value.split(';');
  const params: Record<string, string> = {};
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  return { mime: mime.trim().toLowerCase(), params };
}

export const RECORDIO_MIMES = new Set(['application/x-recordio-protobuf', 'application/x-recordio']);
export const CSV_MIMES = new Set(['text/csv', 'text/x-csv']);
