import type { Clock } from '../../../core/clock.js';
import type { InstanceProfile } from '../../../core/instance-types.js';
import { Rng, STREAM } from '../../../core/random.js';

/** How SageMaker spreads a variant's requests over its instances (ProductionVariant RoutingConfig). */
export type RoutingStrategy = 'RANDOM' | 'LEAST_OUTSTANDING_REQUESTS';

/** Starts a queued request on the instance that has a worker free for it. */
type Start = (on: Instance) => void;

interface Instance {
  /** Requests being served now (at most the profile's modelServerWorkers). */
  busy: number;
  /** Requests waiting for a worker of this instance, oldest first. */
  queue: Start[];
}

/** What one served request saw, for the runtime's metrics and for tests of the model. */
export interface ServedRequest<T> {
  value: T;
  /** Emulator-clock milliseconds spent queued behind busy workers of the instance. */
  queuedMs: number;
}

/**
 * Capacity mode ("instances you can feel"): a variant's CURRENT in-service instances, each with the
 * concurrency (model server workers) and service time of its instance type's profile. A request
 * is routed to one instance (RANDOM by default, as SageMaker does, or LEAST_OUTSTANDING_REQUESTS),
 * waits there for a free worker, runs the model, and holds the worker for the profile's service
 * time on the emulator clock. So a load test sees latency rise once the offered load passes
 * instances × workers / service time, and fall again as instances come into service.
 */
export class InstancePool {
  private instances: Instance[] = [];
  private readonly rng: Rng;

  constructor(
    private readonly clock: Clock,
    readonly profile: Pick<InstanceProfile, 'name' | 'modelServerWorkers' | 'serviceTimeMs'>,
    instanceCount: number,
    readonly routing: RoutingStrategy = 'RANDOM',
    seed = 1,
  ) {
    this.rng = new Rng(seed, STREAM.routing);
    this.setInstanceCount(instanceCount);
  }

  get instanceCount(): number {
    return this.instances.length;
  }

  /** Requests served or queued right now, over all instances. */
  get outstanding(): number {
    let n = 0;
    for (const i of this.instances) n += i.busy + i.queue.length;
    return n;
  }

  /**
   * Follows CurrentInstanceCount. New instances start idle; removed instances finish what they
   * serve, and the requests queued on them move to the instances that remain.
   */
  setInstanceCount(count: number): void {
    const n = Math.max(0, Math.floor(count));
    if (n >= this.instances.length) {
      while (this.instances.length < n) this.instances.push({ busy: 0, queue: [] });
      for (const i of this.instances) this.drain(i);
      return;
    }
    const removed = this.instances.splice(n);
    for (const r of removed) for (const waiting of r.queue.splice(0)) this.enqueue(waiting);
  }

  /** Runs `work` (the model) on a worker of one instance, after any queueing, for the service time. */
  async serve<T>(work: () => T): Promise<ServedRequest<T>> {
    const queuedAt = this.clock.now();
    const instance = await new Promise<Instance>((ok) => this.enqueue(ok));
    const queuedMs = this.clock.now() - queuedAt;
    try {
      let value: T;
      try {
        value = work();
      } finally {
        // A refusal from the model takes the worker's time too.
        await this.clock.sleep(this.profile.serviceTimeMs);
      }
      return { value, queuedMs };
    } finally {
      instance.busy--;
      this.drain(instance);
    }
  }

  /** Requests that arrived while no instance was in service (scaled to zero): they wait for one. */
  private readonly parked: Start[] = [];

  private enqueue(start: Start): void {
    if (this.instances.length === 0) {
      this.parked.push(start);
      return;
    }
    const instance = this.pick();
    instance.queue.push(start);
    this.drain(instance);
  }

  private pick(): Instance {
    if (this.routing === 'LEAST_OUTSTANDING_REQUESTS') {
      let best = this.instances[0];
      for (const i of this.instances) if (i.busy + i.queue.length < best.busy + best.queue.length) best = i;
      return best;
    }
    return this.instances[this.rng.int(this.instances.length)];
  }

  private drain(instance: Instance): void {
    if (this.parked.length && this.instances.length) for (const p of this.parked.splice(0)) this.enqueue(p);
    while (instance.busy < this.profile.modelServerWorkers && instance.queue.length) {
      instance.busy++;
      instance.queue.shift()!(instance);
    }
  }
}
