/**
 * Scenario validation (a zod schema plus the cross-field rules): each bad value is reported with
 * the path to it and what is wrong, and the references to the emulator's profiles resolve.
 */
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../simulator/scenario.js';
import { INSTANCE_TYPES } from '../core/instance-types.js';
import { TIMING_PROFILES } from '../core/timing.js';

const ok = {
  traffic: { phases: [{ closedLoop: { users: 10, holdFor: '1m' } }] },
  serving: { instanceType: 'ml.m5.xlarge', serviceTime: '5ms' },
};
const withChange = (mutate: (o: Record<string, any>) => void) => {
  const o = structuredClone(ok) as Record<string, any>;
  mutate(o);
  return () => parseScenario(o);
};

describe('scenario errors name the path to the bad value', () => {
  it.each([
    ['a wrong type', (o: any) => (o.traffic.phases[0].closedLoop.users = 'ten'), 'traffic.phases[0].closedLoop.users: must be an integer >= 0'],
    ['a value out of range', (o: any) => (o.serving.concurrency = 0), 'serving.concurrency: must be an integer >= 1'],
    ['an unknown field', (o: any) => (o.serving.concurency = 4), 'serving.concurency: unknown field (expected one of: instanceType, initialInstanceCount, concurrency,'],
    ['a missing required field', (o: any) => delete o.serving.serviceTime, 'serving.serviceTime: is required (the time one request takes on one worker'],
    ['a bad duration', (o: any) => (o.traffic.phases[0].closedLoop.holdFor = '5 parsecs'), 'traffic.phases[0].closedLoop.holdFor: must be a duration like 30s, 5m, 250ms'],
    ['a bad distribution field', (o: any) => (o.serving.serviceTime = { distribution: 'exponential', mean: '-3ms' }), 'serving.serviceTime.mean: must be a duration like'],
    ['an enum', (o: any) => (o.serving.routing = 'round-robin'), 'serving.routing: must be random or least-outstanding-requests'],
    ['a path stage', (o: any) => (o.path = { network: { requestShare: 2 } }), 'path.network.requestShare: must be between 0 and 1'],
    ['a list that is not one', (o: any) => (o.traffic.phases = { closedLoop: {} }), 'traffic.phases: must be a list'],
    ['no phase', (o: any) => (o.traffic.phases = []), 'traffic.phases: must list at least one phase'],
    ['two kinds in one phase', (o: any) => (o.traffic.phases[0].openLoop = { rate: 1, duration: '1m' }), 'traffic.phases[0]: needs exactly one of closedLoop, openLoop, trace'],
    ['a curve that does not start at 0', (o: any) => (o.traffic.phases = [{ openLoop: { curve: [['1m', 5], ['2m', 6]] } }]), 'traffic.phases[0].openLoop.curve[0]: the first point must be at time 0'],
    ['a curve point of the wrong shape', (o: any) => (o.traffic.phases = [{ openLoop: { curve: [['0s', 5, 6]] } }]), 'traffic.phases[0].openLoop.curve[0]: must be [time, requests per second]'],
    ['an alarm period', (o: any) => (o.scaling = { scalableTarget: { MinCapacity: 1, MaxCapacity: 2 }, alarms: [{ Period: 30 }] }), 'scaling.alarms[0].Period: must be an integer >= 60'],
    ['a minute-aligned alarm period', (o: any) => (o.scaling = { scalableTarget: { MinCapacity: 1, MaxCapacity: 2 }, alarms: [{ Period: 90 }] }), 'scaling.alarms[0].Period: must be a multiple of 60'],
    ['an unknown instance type', (o: any) => (o.serving.instanceType = 'ml.z9.huge'), 'serving.instanceType: unknown instance type ml.z9.huge'],
  ])('%s', (_what, mutate, message) => {
    expect(withChange(mutate)).toThrow(message);
  });
});

describe('references to the emulator profiles', () => {
  it('serviceTime: instance-profile is the profile\'s serviceTimeMs; a new type without one is refused', () => {
    const builtIn = withChange((o) => (o.serving.serviceTime = 'instance-profile'))();
    expect(builtIn.serving.serviceTime.mean).toBe(INSTANCE_TYPES['ml.m5.xlarge'].serviceTimeMs);
    expect(
      withChange((o) => {
        o.serving.serviceTime = 'instance-profile';
        o.serving.instanceType = 'ml.new.large';
        o.instanceTypes = { 'ml.new.large': { vcpu: 2, memoryGiB: 8, pricePerHour: 0.1 } };
      }),
    ).toThrow('serving.serviceTime: the profile of ml.new.large has no serviceTimeMs');
    const sc = withChange((o) => {
      o.serving.serviceTime = 'instance-profile';
      o.instanceTypes = { 'ml.m5.xlarge': { serviceTimeMs: 7, modelServerWorkers: 3 } };
    })();
    expect(sc.serving.serviceTime.mean).toBe(7);
    expect(sc.serving.concurrency).toBe(3); // the capacity mode's workers, when the scenario gives none
  });

  it('warmup: timing-profile:realistic is the emulator timing profile', () => {
    const sc = withChange((o) => (o.serving.warmup = 'timing-profile:realistic'))();
    const p = TIMING_PROFILES.realistic as typeof TIMING_PROFILES.realistic & { instanceWarmupMin?: number; instanceWarmupMax?: number };
    const expected = p.instanceWarmupMin !== undefined ? (p.instanceWarmupMin + p.instanceWarmupMax!) / 2 : p.endpointUpdating;
    expect(sc.serving.warmup.mean).toBe(expected);
    expect(withChange((o) => (o.serving.warmup = 'timing-profile:slow'))).toThrow('serving.warmup: must be a duration');
  });
});
