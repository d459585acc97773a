import type { OperationHandler } from '../../protocol/aws-json.js';
import type { ServiceDeps } from '../deps.js';
import { CloudWatchLogsService } from './cloudwatch-logs.js';

export function createCloudWatchLogs(deps: ServiceDeps): Record<string, OperationHandler> {
  const logs = new CloudWatchLogsService(deps);
  return {
    DescribeLogGroups: (i, c) => logs.describeLogGroups(i, c),
    DescribeLogStreams: (i, c) => logs.describeLogStreams(i, c),
    GetLogEvents: (i, c) => logs.getLogEvents(i, c),
    FilterLogEvents: (i, c) => logs.filterLogEvents(i, c),
  };
}
