import type { Family } from './families.js';

/**
 * Status lifecycles picked from each family's status enum: a transitional state that lasts the
 * timing profile's `controlPlaneTransition`, then a settled one. Stored as {from, to, at} and read
 * against the clock, so a restart or a VirtualClock needs no timers.
 */
export interface StatusTimeline {
  from: string;
  to: string;
  /** Emulator-clock ms at which `to` takes over. */
  at: number;
}

const first = (values: string[], candidates: string[]) => candidates.find((c) => values.includes(c));

const SETTLED = ['InService', 'Created', 'Active', 'CreateCompleted', 'Scheduled', 'Completed', 'CREATED', 'COMPLETED', 'Draft'];
const STARTING = ['Pending', 'Creating', 'Initializing', 'CreateInProgress', 'InProgress', 'CREATING', 'STARTING'];

export interface Lifecycle {
  create?: [string, string];
  start?: [string, string];
  stop?: [string, string];
  update?: [string, string];
  /** States from which Start may run (and in which Delete/Update of a stoppable resource may run). */
  stoppedStates: string[];
  startFrom: string[];
  /** The family's Deleting state, where it has one: Delete passes through it, then the resource is gone. */
  deleting?: string;
  runningStates: string[];
}

export function lifecycleOf(family: Family): Lifecycle | undefined {
  const values = family.status?.values;
  if (!values) return undefined;
  const settled = first(values, SETTLED) ?? values[0];
  const starting = first(values, STARTING) ?? settled;
  // Where the family has its own "running" state (Started, Running), Start leads there.
  const running = first(values, ['InService', 'Running', 'Started']) ?? settled;
  const stopped = first(values, ['Stopped', 'STOPPED', 'Cancelled']);
  const failed = first(values, ['Failed', 'FAILED']);
  const stoppedStates = [stopped, failed].filter((s): s is string => !!s);
  return {
    create: [starting, settled],
    start: family.ops.start && stopped ? [first(values, ['Pending', 'Starting']) ?? starting, running] : undefined,
    stop: family.ops.stop && stopped ? [first(values, ['Stopping', 'STOPPING']) ?? stopped, stopped] : undefined,
    update: family.ops.update ? [first(values, ['Updating', 'UpdateInProgress']) ?? settled, first(values, ['UpdateCompleted', 'Updated']) ?? settled] : undefined,
    // A resource created but never started (an inference experiment's Created) may be started too.
    startFrom: running === settled ? stoppedStates : [...stoppedStates, settled],
    stoppedStates,
    deleting: first(values, ['Deleting', 'DELETING', 'DeleteInProgress']),
    runningStates: [...new Set([starting, settled, running, first(values, ['Updated', 'UpdateCompleted'])].filter((s): s is string => !!s))],
  };
}

/** The timeline's end state for a deleted resource: past it, the record is removed on the next read. */
export const GONE = '\u0000gone';

export function statusAt(t: StatusTimeline | undefined, now: number): string | undefined {
  return t && (now >= t.at ? t.to : t.from);
}

export function transition(states: [string, string], now: number, duration: number): StatusTimeline {
  return { from: states[0], to: states[1], at: now + (states[0] === states[1] ? 0 : duration) };
}

/**
 * The clock read once per synchronous request: every statusAt() and stamp a handler makes sees
 * the same instant. Read twice, a Deleting resource could pass the "still there" check and then
 * show its internal GONE marker as its status (or be refused as being in it), and under
 * --clock-scale one real millisecond between the reads is many emulator ones. The instant is
 * forgotten at the end of the current task (the next request reads the clock afresh).
 */
export function requestInstant(clock: { now(): number }): () => number {
  let instant: number | undefined;
  return () => {
    if (instant === undefined) {
      instant = clock.now();
      queueMicrotask(() => (instant = undefined));
    }
    return instant;
  };
}
