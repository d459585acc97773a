import type { ServiceModel } from '../../../protocol/service-model.js';
import { listPage } from '../listing.js';
import type { Family } from './families.js';
import { conform } from './shapes.js';

/**
 * One List operation per family, declared once: which filters it applies, how it sorts by
 * default, how many entries a page holds, and the List entry (`summary`) of one resource. The
 * generic filters (NameContains on the family's key, StatusEquals on its status member,
 * CreationTime*, LastModifiedTime*, SortBy Name | CreationTime | Status, SortOrder, MaxResults,
 * NextToken) come from the family; a declaration only says where its operation differs.
 */
export interface ListDeclaration {
  /** SortBy when the caller gives none (AWS documents CreationTime for most; Name for tuning jobs). */
  defaultSortBy?: 'Name' | 'CreationTime' | 'Status';
  /** SortOrder when the caller gives none. */
  defaultOrder: 'Ascending' | 'Descending';
  /** MaxResults when the caller gives none (10 unless the operation documents another). */
  defaultMaxResults?: number;
  /**
   * The operation's own filters, by input member, where reading the member generically would be
   * wrong (ListTrainingJobs' WarmPoolStatusEquals compares a nested member).
   */
  filters?: Record<string, (view: Record<string, unknown>, value: unknown) => boolean>;
  /** The List entry of one resource; by default its Describe view projected onto the summary shape. */
  summary?: (view: Record<string, unknown>) => Record<string, unknown>;
}

/** The members every family's List reads the same way (see listPage). */
const GENERIC_LIST_MEMBERS = new Set([
  'CreatedAfter', 'CreatedBefore', 'NameContains', 'StatusEquals', 'CreationTimeAfter', 'CreationTimeBefore', 'LastModifiedTimeAfter', 'LastModifiedTimeBefore',
  'SortBy', 'SortOrder', 'NextToken', 'MaxResults',
]);

/**
 * A List answer: `views` are the family's Describe views before the output shape filters them
 * (so they still carry LastModifiedTime where Describe does not show it), in creation order.
 */
export function listFamily(
  model: ServiceModel,
  family: Family,
  decl: ListDeclaration,
  views: Record<string, unknown>[],
  req: Record<string, any>,
  /** Fill required members a view lacks with the shape's minimal value (the metadata-only families), or leave them out. */
  fillRequired: boolean,
): unknown {
  const listOp = family.ops.list!;
  const declared = Object.entries(decl.filters ?? {}).filter(([member]) => req[member] !== undefined);
  const extra = extraFilters(model, family, req, new Set(Object.keys(decl.filters ?? {})));
  const statusKey = family.status?.member;
  const rows = views.filter((v) => declared.every(([member, f]) => f(v, req[member])) && extra.every((f) => f(v)));
  // CreatedAfter / CreatedBefore are the lineage and experiment Lists' names for CreationTime*.
  const times = { CreationTimeAfter: req.CreationTimeAfter ?? req.CreatedAfter, CreationTimeBefore: req.CreationTimeBefore ?? req.CreatedBefore };
  const { page, NextToken } = listPage(rows, { ...req, ...times, SortBy: req.SortBy ?? decl.defaultSortBy }, {
    name: (v) => String(v[family.key]),
    creationTime: (v) => v.CreationTime as Date | undefined,
    lastModifiedTime: (v) => (v.LastModifiedTime ?? v.CreationTime) as Date | undefined,
    status: statusKey ? (v) => v[statusKey] as string | undefined : undefined,
    defaultOrder: decl.defaultOrder,
    defaultMaxResults: decl.defaultMaxResults,
  });
  const summary = family.listMember!;
  const entries = page.map((v) => conform(model, summary.shape, decl.summary ? decl.summary(v) : v, fillRequired));
  return conform(model, model.operations[listOp].output!.shape, { [summary.member]: entries, NextToken }, fillRequired);
}

/**
 * A List operation's own filters, read from its input shape: `<Member>Equals` and
 * `<Member>Contains` compare with the resource's <Member>; a member the resource also has
 * (ModelPackageGroupName on ListModelPackages) must match exactly.
 */
function extraFilters(model: ServiceModel, family: Family, req: Record<string, any>, declared: Set<string>): ((v: Record<string, unknown>) => boolean)[] {
  const shape = model.shapes[model.operations[family.ops.list!].input?.shape ?? ''];
  const described = new Set(Object.keys(model.shapes[model.operations[family.ops.describe].output?.shape ?? '']?.members ?? {}));
  const out: ((v: Record<string, unknown>) => boolean)[] = [];
  for (const [member, value] of Object.entries(req)) {
    if (value === undefined || GENERIC_LIST_MEMBERS.has(member) || declared.has(member) || !shape?.members?.[member] || typeof value !== 'string') continue;
    const contains = /^(.+)Contains$/.exec(member);
    const equals = /^(.+)Equals$/.exec(member);
    // Only filters on a member the resource describes at its top level; others (a member nested
    // in a config) are not applied rather than guessed.
    if (contains && described.has(contains[1])) out.push((v) => String(v[contains[1]] ?? '').toLowerCase().includes(value.toLowerCase()));
    else if (equals && described.has(equals[1])) out.push((v) => v[equals[1]] === value);
    else if (!contains && !equals && described.has(member)) out.push((v) => v[member] === value);
  }
  return out;
}
