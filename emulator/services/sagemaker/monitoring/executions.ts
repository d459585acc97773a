/**
 * Monitoring executions and alerts. A monitoring schedule here is metadata only (the engine's
 * MonitoringSchedule family): it starts no processing job, so no execution exists, no alert is
 * created and no alert history accrues. The answers say exactly that: empty lists (after the same
 * not-found check AWS makes for a named schedule), and not-found for an alert to update.
 */
import type { OperationHandler } from '../../../protocol/aws-json.js';
import type { RequestContext } from '../../../protocol/context.js';
import { resourceNotFound } from '../../../protocol/errors.js';

type Doc = Record<string, any>;

export class MonitoringExecutions {
  constructor(private readonly ops: Record<string, OperationHandler>) {}

  private async schedule(name: unknown, ctx: RequestContext): Promise<Doc> {
    return (await this.ops.DescribeMonitoringSchedule({ MonitoringScheduleName: name }, ctx)) as Doc;
  }

  operations(): Record<string, OperationHandler> {
    return {
      // No error is declared for ListMonitoringExecutions: a schedule that does not exist has no executions either.
      ListMonitoringExecutions: () => ({ MonitoringExecutionSummaries: [] }),
      ListMonitoringAlerts: async (req, ctx) => {
        await this.schedule(req.MonitoringScheduleName, ctx);
        return { MonitoringAlertSummaries: [] };
      },
      ListMonitoringAlertHistory: async (req, ctx) => {
        if (req.MonitoringScheduleName !== undefined) await this.schedule(req.MonitoringScheduleName, ctx);
        return { MonitoringAlertHistory: [] };
      },
      UpdateMonitoringAlert: async (req, ctx) => {
        const s = await this.schedule(req.MonitoringScheduleName, ctx);
        throw resourceNotFound(`Monitoring alert ${req.MonitoringAlertName} does not exist for monitoring schedule ${s.MonitoringScheduleArn}.`);
      },
    };
  }
}
