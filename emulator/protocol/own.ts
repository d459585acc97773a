/**
 * A table lookup by a name that came from a request. Plain `table[name]` also finds inherited
 * members, so `__proto__`, `constructor` or `hasOwnProperty` would name Object.prototype's
 * members instead of "no such entry".
 */
export function own<T>(table: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/**
 * Sets `target[key] = value` as an own data property: an assignment to `__proto__` would change
 * the object's prototype instead of storing a member or map key of that name.
 */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/**
 * A short, bounded rendering of a request value for an error message: nesting past `maxDepth`
 * and text past `maxLength` are cut (a deeply nested or huge value would otherwise overflow the
 * stack or build a message of megabytes).
 */
export function boundedJson(value: unknown, maxLength = 256, maxDepth = 8): string {
  let out = '';
  const write = (v: unknown, depth: number): void => {
    if (out.length > maxLength) return;
    if (v === null || typeof v !== 'object') {
      out += typeof v === 'string' ? JSON.stringify(v.length > maxLength ? v.slice(0, maxLength) : v) : String(v);
      return;
    }
    if (depth >= maxDepth) {
      out += Array.isArray(v) ? '[...]' : '{...}';
      return;
    }
    if (v instanceof Uint8Array) {
      out += `<${v.length} bytes>`;
      return;
    }
    if (Array.isArray(v)) {
      out += '[';
      for (let i = 0; i < v.length && out.length <= maxLength; i++) {
        if (i) out += ',';
        write(v[i], depth + 1);
      }
      out += ']';
      return;
    }
    out += '{';
    let first = true;
    for (const k of Object.keys(v)) {
      if (out.length > maxLength) break;
      out += `${first ? '' : ','}${JSON.stringify(k)}:`;
      first = false;
      write((v as Record<string, unknown>)[k], depth + 1);
    }
    out += '}';
  };
  write(value, 0);
  return out.length > maxLength ? `${out.slice(0, maxLength)}...` : out;
}
