import type {
  DescribeLogGroupsRequest,
  DescribeLogGroupsResponse,
  DescribeLogStreamsRequest,
  DescribeLogStreamsResponse,
  FilterLogEventsRequest,
  FilterLogEventsResponse,
  GetLogEventsRequest,
  GetLogEventsResponse,
} from '@aws-sdk/client-cloudwatch-logs';
import { AwsError } from '../../protocol/errors.js';
import type { RequestContext } from '../../protocol/context.js';
import type { Scope } from '../../storage/database.js';
import type { ServiceDeps } from '../deps.js';
import { pageByOffset } from '../page-token.js';
import { scopeOf } from '../sagemaker/scope.js';

const groupNotFound = () => new AwsError('ResourceNotFoundException', 'The specified log group does not exist.');
const streamNotFound = () => new AwsError('ResourceNotFoundException', 'The specified log stream does not exist.');
const badToken = () => new AwsError('InvalidParameterException', 'The specified nextToken is invalid.');

/** One page, by the shared offset tokens. */
function page<T>(items: T[], req: { nextToken?: string; limit?: number }, defaultLimit: number): { items: T[]; nextToken?: string } {
  return pageByOffset(items, req.nextToken, req.limit ?? defaultLimit, badToken);
}

/**
 * CloudWatch Logs over the log lines the emulator stores (training jobs write to
 * /aws/sagemaker/TrainingJobs, stream `<job>/algo-<n>-<epoch>`). It keeps the two behaviours the
 * SageMaker Python SDK's log streamer relies on: no nextToken when the streams fit on one page,
 * and an empty page with the same forward token at the end of a stream.
 */
export class CloudWatchLogsService {
  constructor(private readonly deps: ServiceDeps) {}

  private groupName(req: { logGroupName?: string; logGroupIdentifier?: string }): string {
    const name = req.logGroupName ?? req.logGroupIdentifier?.replace(/^arn:aws:logs:[^:]*:\d+:log-group:/, '').replace(/:\*$/, '');
    if (!name) throw new AwsError('InvalidParameterException', 'Either logGroupName or logGroupIdentifier must be specified.');
    return name;
  }

  private requireGroup(scope: Scope, group: string): void {
    if (!this.deps.db.logGroups(scope, group).some((g) => g.name === group)) throw groupNotFound();
  }

  describeLogGroups(req: DescribeLogGroupsRequest, ctx: RequestContext): DescribeLogGroupsResponse {
    const scope = scopeOf(ctx);
    const { items, nextToken } = page(this.deps.db.logGroups(scope, req.logGroupNamePrefix ?? ''), req, 50);
    return {
      logGroups: items.map((g) => ({
        logGroupName: g.name,
        creationTime: g.created,
        storedBytes: g.bytes,
        arn: `arn:aws:logs:${scope.region}:${scope.accountId}:log-group:${g.name}:*`,
        logGroupArn: `arn:aws:logs:${scope.region}:${scope.accountId}:log-group:${g.name}`,
        logGroupClass: 'STANDARD',
      })),
      nextToken,
    };
  }

  describeLogStreams(req: DescribeLogStreamsRequest, ctx: RequestContext): DescribeLogStreamsResponse {
    const scope = scopeOf(ctx);
    const group = this.groupName(req);
    this.requireGroup(scope, group);
    if (req.orderBy === 'LastEventTime' && req.logStreamNamePrefix) {
      throw new AwsError('InvalidParameterException', 'Cannot order by LastEventTime with a logStreamNamePrefix.');
    }
    let streams = this.deps.db.logStreams(scope, group, req.logStreamNamePrefix ?? '');
    if (req.orderBy === 'LastEventTime') streams = [...streams].sort((a, b) => a.lastEvent - b.lastEvent || (a.name < b.name ? -1 : 1));
    if (req.descending) streams = [...streams].reverse();
    const { items, nextToken } = page(streams, req, 50);
    return {
      logStreams: items.map((s) => ({
        logStreamName: s.name,
        creationTime: s.created,
        firstEventTimestamp: s.firstEvent,
        lastEventTimestamp: s.lastEvent,
        lastIngestionTime: s.lastIngested,
        arn: `arn:aws:logs:${scope.region}:${scope.accountId}:log-group:${group}:log-stream:${s.name}`,
        storedBytes: s.bytes,
      })),
      nextToken,
    };
  }

  getLogEvents(req: GetLogEventsRequest, ctx: RequestContext): GetLogEventsResponse {
    const scope = scopeOf(ctx);
    const group = this.groupName(req);
    this.requireGroup(scope, group);
    const events = this.deps.db
      .logEvents(scope, group, req.logStreamName!)
      .filter((e) => (req.startTime === undefined || e.timestamp >= req.startTime) && (req.endTime === undefined || e.timestamp < req.endTime));
    if (!events.length && !this.deps.db.logStreams(scope, group, req.logStreamName!).some((s) => s.name === req.logStreamName)) {
      throw streamNotFound();
    }
    const limit = req.limit ?? 10000;
    // Tokens name a position: `f/<n>` reads forward from n, `b/<n>` backward up to n.
    let from: number;
    let to: number;
    if (req.nextToken) {
      const m = /^([fb])\/(\d+)$/.exec(req.nextToken);
      if (!m) throw badToken();
      const at = Number(m[2]);
      if (m[1] === 'f') [from, to] = [at, Math.min(events.length, at + limit)];
      else [from, to] = [Math.max(0, at - limit), at];
    } else if (req.startFromHead) {
      [from, to] = [0, Math.min(events.length, limit)];
    } else {
      [from, to] = [Math.max(0, events.length - limit), events.length];
    }
    from = Math.min(from, events.length);
    to = Math.max(from, Math.min(to, events.length));
    return {
      events: events.slice(from, to).map((e) => ({ timestamp: e.timestamp, message: e.message, ingestionTime: e.ingestionTime })),
      nextForwardToken: `f/${String(to).padStart(56, '0')}`,
      nextBackwardToken: `b/${String(from).padStart(56, '0')}`,
    };
  }

  filterLogEvents(req: FilterLogEventsRequest, ctx: RequestContext): FilterLogEventsResponse {
    const scope = scopeOf(ctx);
    const group = this.groupName(req);
    this.requireGroup(scope, group);
    const names = req.logStreamNames ?? this.deps.db.logStreams(scope, group, req.logStreamNamePrefix ?? '').map((s) => s.name);
    // Plain-term filter patterns: every term must appear (quoted phrases kept whole).
    const terms = (req.filterPattern ?? '').match(/"[^"]*"|\S+/g)?.map((t) => t.replace(/^"|"$/g, '')) ?? [];
    const all = names
      .flatMap((stream) => this.deps.db.logEvents(scope, group, stream).map((e, i) => ({ ...e, logStreamName: stream, eventId: `${stream}/${i}` })))
      .filter((e) => (req.startTime === undefined || e.timestamp >= req.startTime) && (req.endTime === undefined || e.timestamp <= req.endTime))
      .filter((e) => terms.every((t) => e.message.includes(t)))
      .sort((a, b) => a.timestamp - b.timestamp);
    const { items, nextToken } = page(all, req, 10000);
    return { events: items, searchedLogStreams: names.map((n) => ({ logStreamName: n, searchedCompletely: true })), nextToken };
  }
}
