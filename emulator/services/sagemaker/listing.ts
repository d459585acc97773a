import { validation } from '../../protocol/errors.js';
import { pageByOffset } from '../page-token.js';

/**
 * The shared semantics of SageMaker's List* operations: name/status/time filters, sorting, and
 * opaque NextToken pagination. Each operation passes how to read its fields.
 */
export interface ListRequest {
  NameContains?: string;
  StatusEquals?: string;
  CreationTimeAfter?: Date;
  CreationTimeBefore?: Date;
  LastModifiedTimeAfter?: Date;
  LastModifiedTimeBefore?: Date;
  SortBy?: string;
  SortOrder?: string;
  NextToken?: string;
  MaxResults?: number;
}

export interface ListFields<T> {
  name: (t: T) => string;
  creationTime: (t: T) => Date | undefined;
  lastModifiedTime?: (t: T) => Date | undefined;
  status?: (t: T) => string | undefined;
  defaultOrder: 'Ascending' | 'Descending';
  defaultMaxResults?: number;
  /** Sort keys of the operation beyond Name, Status and CreationTime (a tuning job's children sort by FinalObjectiveMetricValue). */
  sortKeys?: Record<string, (t: T) => string | number>;
}

/** A job record as the jobs that keep their own records store it: name, status, ISO times. */
export interface JobRecordTimes {
  name: string;
  status: string;
  created: string;
  modified: string;
}

/** The List fields of such records, newest first unless the request says otherwise. */
export function jobRecordFields<T extends JobRecordTimes>(): ListFields<T> {
  return {
    name: (r) => r.name,
    creationTime: (r) => new Date(r.created),
    lastModifiedTime: (r) => new Date(r.modified),
    status: (r) => r.status,
    defaultOrder: 'Descending',
  };
}

export function listPage<T>(items: T[], req: ListRequest, f: ListFields<T>): { page: T[]; NextToken?: string } {
  let rows = items.filter((t) => {
    if (req.NameContains && !f.name(t).toLowerCase().includes(req.NameContains.toLowerCase())) return false;
    if (req.StatusEquals && f.status?.(t) !== req.StatusEquals) return false;
    const created = f.creationTime(t)?.getTime() ?? 0;
    if (req.CreationTimeAfter && !(created > req.CreationTimeAfter.getTime())) return false;
    if (req.CreationTimeBefore && !(created < req.CreationTimeBefore.getTime())) return false;
    const modified = f.lastModifiedTime?.(t)?.getTime() ?? created;
    if (req.LastModifiedTimeAfter && !(modified > req.LastModifiedTimeAfter.getTime())) return false;
    if (req.LastModifiedTimeBefore && !(modified < req.LastModifiedTimeBefore.getTime())) return false;
    return true;
  });
  const by = req.SortBy ?? 'CreationTime';
  const own = f.sortKeys?.[by];
  const key = (t: T): string | number =>
    own ? own(t) : by === 'Name' ? f.name(t) : by === 'Status' ? (f.status?.(t) ?? '') : (f.creationTime(t)?.getTime() ?? 0);
  const dir = (req.SortOrder ?? f.defaultOrder) === 'Descending' ? -1 : 1;
  // Stable: items arrive in creation order, which breaks ties.
  rows = rows
    .map((t, i) => ({ t, i }))
    .sort((a, b) => {
      const ka = key(a.t);
      const kb = key(b.t);
      return (ka < kb ? -1 : ka > kb ? 1 : 0) * dir || (a.i - b.i) * dir;
    })
    .map((x) => x.t);
  const { items: page, nextToken } = pageByOffset(rows, req.NextToken, req.MaxResults ?? f.defaultMaxResults ?? 10, invalidNextToken);
  return { page, NextToken: nextToken };
}

export const invalidNextToken = () => validation('Invalid pagination token because of the NextToken value.');
