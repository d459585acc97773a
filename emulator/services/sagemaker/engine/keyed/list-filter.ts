import type { KeyedFamily } from './families.js';

/** A resource as Describe shows it, before it is cut to an output shape. */
export type View = Record<string, unknown>;

const PAGING = new Set(['NextToken', 'MaxResults', 'SortBy', 'SortOrder']);

/**
 * A List operation's filters, read by name from its input: <Member>Equals and <Member>Contains,
 * NameContains on the family's name member, Status/StatusEquals, Created/CreationTime After and
 * Before, LastModifiedTime After and Before, and a member the resource has (ClusterArn) by equality.
 */
export function listFilter(f: KeyedFamily, req: Record<string, any>): (v: View) => boolean {
  const tests: ((v: View) => boolean)[] = [];
  const time = (v: unknown) => (v instanceof Date ? v.getTime() : new Date(v as string).getTime());
  for (const [member, value] of Object.entries(req)) {
    if (value === undefined || PAGING.has(member)) continue;
    const m = /^(.+?)(Equals|Contains|After|Before)$/.exec(member);
    if (member === 'NameContains') tests.push((v) => String(v[f.nameMember ?? 'Name'] ?? '').toLowerCase().includes(String(value).toLowerCase()));
    else if (member === 'Status' || member === 'StatusEquals') tests.push((v) => v[f.status?.member ?? 'Status'] === value);
    else if (member === 'DefaultForDomainId') tests.push((v) => Array.isArray(v.DefaultDomainIdList) && v.DefaultDomainIdList.includes(value));
    else if (m && (m[2] === 'After' || m[2] === 'Before')) {
      const field = m[1] === 'Created' || m[1] === 'CreationTime' ? 'CreationTime' : m[1];
      tests.push((v) => (m[2] === 'After' ? time(v[field]) > time(value) : time(v[field]) < time(value)));
    } else if (m?.[2] === 'Equals') tests.push((v) => String(v[m[1]] ?? '').toLowerCase() === String(value).toLowerCase());
    else if (m?.[2] === 'Contains') tests.push((v) => String(v[m[1]] ?? '').toLowerCase().includes(String(value).toLowerCase()));
    else tests.push((v) => v[member] === value);
  }
  return (v) => tests.every((t) => t(v));
}

/** Sorted by SortBy (Name is the family's name member; CreationTime when none is given), creation order breaking ties. */
export function sortViews(views: View[], req: Record<string, any>, nameMember: string, defaultOrder: 'Ascending' | 'Descending'): View[] {
  const sortBy = String(req.SortBy ?? 'CreationTime');
  const member = sortBy === 'Name' ? nameMember : sortBy;
  const key = (v: View) => (v[member] instanceof Date ? (v[member] as Date).getTime() : String(v[member] ?? ''));
  const dir = (req.SortOrder ?? defaultOrder) === 'Descending' ? -1 : 1;
  return views
    .map((v, i) => ({ v, i }))
    .sort((a, b) => {
      const ka = key(a.v);
      const kb = key(b.v);
      return (ka < kb ? -1 : ka > kb ? 1 : 0) * dir || (a.i - b.i) * dir;
    })
    .map((x) => x.v);
}
