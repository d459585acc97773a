import type { ListOptions, ListResult, ObjectInfo } from './object-store.js';

/**
 * S3 listing over an array of objects sorted by the UTF-8 bytes of their keys (the order S3 lists
 * in): binary searches for the start, prefix and delimiter roll-up, markers and page size.
 */

/** An object in a sorted listing. */
export interface Entry {
  key: string;
  /** UTF-8 bytes of the key: S3 lists in byte order, which differs from UTF-16 order. */
  bytes: Buffer;
  info: ObjectInfo;
}

/** First index whose key is >= target (or > target when `strict`). */
function bound(entries: Entry[], target: Buffer, strict: boolean): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = Buffer.compare(entries[mid].bytes, target);
    if (c < 0 || (strict && c === 0)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index at or after `from` whose key does not start with `prefix` (matches are contiguous). */
function endOfPrefix(entries: Entry[], from: number, prefix: string): number {
  let lo = from;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid].key.startsWith(prefix)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** S3's ListObjects semantics: prefix, delimiter roll-up, startAfter/marker and maxKeys. */
export function listSorted(entries: Entry[], opts: ListOptions): ListResult {
  const prefix = opts.prefix ?? '';
  const delimiter = opts.delimiter || undefined;
  const maxKeys = opts.maxKeys ?? 1000;
  const result: ListResult = { objects: [], commonPrefixes: [], isTruncated: false };
  if (maxKeys <= 0) return result;
  let i = bound(entries, Buffer.from(prefix, 'utf8'), false);
  const after = opts.startAfter;
  if (after) {
    i = Math.max(i, bound(entries, Buffer.from(after, 'utf8'), true));
    // A marker that is itself a common prefix (a previous page's last entry) skips its whole group.
    if (delimiter && after.startsWith(prefix)) {
      const at = after.indexOf(delimiter, prefix.length);
      if (at >= 0 && at + delimiter.length === after.length) i = endOfPrefix(entries, i, after);
    }
  }
  let count = 0;
  while (i < entries.length) {
    const e = entries[i];
    if (!e.key.startsWith(prefix)) break;
    if (count === maxKeys) {
      result.isTruncated = true;
      break;
    }
    const at = delimiter ? e.key.indexOf(delimiter, prefix.length) : -1;
    if (delimiter && at >= 0) {
      const cp = e.key.slice(0, at + delimiter.length);
      result.commonPrefixes.push(cp);
      result.nextMarker = cp;
      i = endOfPrefix(entries, i, cp);
    } else {
      result.objects.push(e.info);
      result.nextMarker = e.key;
      i++;
    }
    count++;
  }
  if (!result.isTruncated) result.nextMarker = undefined;
  return result;
}
