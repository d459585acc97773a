import { createHash } from 'node:crypto';
import { formatLogLine } from '../../../algorithms/index.js';
import type { Clock } from '../../../core/clock.js';
import type { Database, Scope } from '../../storage/database.js';

export const endpointLogGroup = (endpointName: string) => `/aws/sagemaker/Endpoints/${endpointName}`;

/**
 * The instances of a variant, named as AWS names their log streams: `<variant>/<instance-id>`.
 * Ids are derived from the endpoint, variant, slot and deployment, so they stay the same
 * across an emulator restart (the streams written before it go on).
 */
export function instanceStreams(endpointArn: string, variant: string, count: number, deployment: string): string[] {
  return Array.from({ length: Math.max(1, count) }, (_, i) => {
    const hex = createHash('sha256').update(`${endpointArn}\0${variant}\0${i}\0${deployment}`).digest('hex').slice(0, 17);
    return `${variant}/i-${hex}`;
  });
}

/**
 * What an endpoint's model containers write to CloudWatch Logs: start-up, model load, and each
 * request the model refused, with its reason.
 */
export class EndpointLogs {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  private write(scope: Scope, endpoint: string, stream: string, lines: string[]): void {
    const at = this.clock.now();
    this.db.appendLogEvents(
      scope,
      endpointLogGroup(endpoint),
      stream,
      lines.map((l) => ({ timestamp: at, message: l })),
    );
  }

  started(scope: Scope, endpoint: string, stream: string, modelDataUrl: string, algorithm: string): void {
    this.write(scope, endpoint, stream, [
      formatLogLine('Docker entrypoint called with argument(s): serve'),
      formatLogLine(`Loading model from ${modelDataUrl} (${algorithm})`),
      formatLogLine('Model loaded successfully'),
      formatLogLine('Listening at: http://0.0.0.0:8080'),
    ]);
  }

  failedToStart(scope: Scope, endpoint: string, stream: string, reason: string): void {
    this.write(scope, endpoint, stream, [formatLogLine('Docker entrypoint called with argument(s): serve'), formatLogLine(reason, 'ERROR')]);
  }

  /** An asynchronous endpoint's per-request outcomes, in `<variant>/<instance-id>/data-log`. */
  dataLog(scope: Scope, endpoint: string, stream: string, line: string): void {
    this.write(scope, endpoint, `${stream}/data-log`, [`${new Date(this.clock.now()).toISOString()} ${line}`]);
  }

  modelError(scope: Scope, endpoint: string, stream: string, status: number, reason: string): void {
    this.write(scope, endpoint, stream, [formatLogLine(`POST /invocations ${status}: ${reason}`, 'ERROR')]);
  }
}
