import { availableParallelism, totalmem } from 'node:os';

/**
 * The machine's training capacity, shared by every training job (tuning children included): one
 * slot per instance worker thread, as many slots as cores. A job takes all its instances' slots at
 * once (its data-parallel hosts must run together) and waits in strict FIFO order otherwise, so
 * parallel tuning jobs and ordinary jobs are served in the order they asked and a wide job is not
 * starved by narrow ones slipping past it. A job asking for more slots than exist gets them all.
 *
 * LOCALSAGE_TRAINING_SLOTS overrides the core count (e.g. 1 to run jobs one at a time).
 */
export class SlotScheduler {
  private free: number;
  private readonly queue: { want: number; grant: () => void }[] = [];

  constructor(readonly capacity: number = defaultTrainingSlots()) {
    this.free = capacity;
  }

  /**
   * Resolves with a release function once `count` slots are held. `onQueued` runs (at once) when
   * the slots are not free now and the caller has to wait its turn.
   */
  acquire(count: number, onQueued?: () => void): Promise<() => void> {
    const want = Math.max(1, Math.min(count, this.capacity));
    return new Promise((resolve) => {
      let granted = false;
      this.queue.push({
        want,
        grant: () => {
          granted = true;
          let released = false;
          resolve(() => {
            if (released) return;
            released = true;
            this.free += want;
            this.drain();
          });
        },
      });
      this.drain();
      if (!granted) onQueued?.();
    });
  }

  /** Jobs waiting for slots (for tests and diagnostics). */
  get waiting(): number {
    return this.queue.length;
  }

  private drain(): void {
    while (this.queue.length && this.queue[0].want <= this.free) {
      const next = this.queue.shift()!;
      this.free -= next.want;
      next.grant();
    }
  }
}

/**
 * Memory one instance worker may take while training a built-in algorithm (its thread's heap,
 * the numeric backend and its data): measured at about 75 MiB, budgeted at 256 MiB.
 */
const INSTANCE_MEMORY_BYTES = 256 * 1024 * 1024;

/**
 * The training capacity: one slot per core, and no more slots than half the machine's memory
 * holds instance workers. LOCALSAGE_TRAINING_SLOTS overrides it.
 */
export function defaultTrainingSlots(): number {
  const fromEnv = Number(process.env.LOCALSAGE_TRAINING_SLOTS);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  const byMemory = Math.floor(totalmem() / 2 / INSTANCE_MEMORY_BYTES);
  return Math.max(1, Math.min(availableParallelism(), byMemory));
}
