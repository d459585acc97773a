import type { Scope } from '../../storage/database.js';

/** What one InvokeEndpoint call did, as CloudWatch's endpoint metrics count it. */
export interface InvocationOutcome {
  /** Time inside the model (ModelLatency), microseconds. */
  modelLatencyUs: number;
  /** Time added by the emulator around the model (OverheadLatency), microseconds. */
  overheadLatencyUs: number;
  /** The HTTP status returned to the caller: 2xx, 4xx (Invocation4XXErrors) or 5xx (Invocation5XXErrors). */
  status: number;
}

/**
 * Where the invoke path reports each invocation. It sits on the hot path: an implementation
 * only bumps in-memory counters and does its I/O elsewhere (CloudWatch's per-minute publish).
 */
export interface InvocationRecorder {
  record(scope: Scope, endpointName: string, variantName: string, outcome: InvocationOutcome): void;
  /** An invocation of an inference component with `copies` copies in service (besides `record` for its variant). */
  recordComponent?(scope: Scope, componentName: string, copies: number, outcome: InvocationOutcome): void;
}

/** Records nothing: for callers that run without CloudWatch. */
export const NO_RECORDING: InvocationRecorder = { record() {} };
