/**
 * The simulator against the live emulator, on one small scenario
 * (test/fixtures/sim-live/scale-out.yaml, whose header gives the reasoning for every number).
 *
 * The same scalable target and policy (sent from the scenario file as they stand) run twice: in the
 * simulator (`localsage simulate`, a child process, read back from scaling-activities.json and
 * per-minute.csv), and in a running emulator on a scaled clock (--timing realistic --clock-scale 60
 * --capacity-mode) under a bounded loopback load (2 closed-loop workers, 50 real ms think time, at
 * most MAX_REQUESTS requests and LOAD_LIMIT_MS real time), read back through
 * DescribeScalingActivities and DescribeEndpoint. Times are compared relative to the moment the
 * policy exists and the load starts (the policy's CreationTime in the emulator, the scenario start in
 * the simulator).
 *
 * The tolerances are derived from the rules, never from observed runs:
 *   - Decision (the scale-out activity's StartTime): the simulator's load starts on a minute boundary,
 *     so its three breaching one-minute datapoints end exactly 3 minutes in. The live load starts
 *     anywhere inside a minute; its first, partial minute may or may not breach, so AlarmHigh goes to
 *     ALARM at the third or fourth minute boundary after it: somewhere in (2, 4] minutes. One alarm
 *     period either way: DECISION_TOL = 60 s. The live activity starts when the emulator's (late)
 *     evaluation timer actually ran, which is when it read the endpoint's state: up to LAG_BUDGET
 *     after the minute boundary. LIVE_DECISION_TOL = DECISION_TOL + LAG_BUDGET.
 *   - In service (the activity's EndTime): each side draws its warm-up from uniform 5-7 minutes, so
 *     two draws differ by at most 2 minutes; the live warm-up starts at the (late) decision and its
 *     own timer fires late by the emulator's timer lag, multiplied by the clock scale.
 *     IN_SERVICE_TOL = LIVE_DECISION_TOL + 120 s + LAG_BUDGET.
 *   - Warm-up on each side on its own: within [5, 7] minutes (+ LAG_BUDGET live).
 *   - LAG_BUDGET: 250 real ms of timer lag at scale 60 = 15 emulator seconds. The anchor (policy
 *     CreationTime vs the first request) is off by one loopback round trip, well inside it. The test
 *     measures, during the run, its own timer lateness and the longest DescribeEndpoint round trip
 *     (an emulator event-loop stall delays its timers and its answers alike); above the budget the
 *     machine is too loaded for a scaled clock, and the test says so and skips rather than compare.
 *     The alarm periods do not move with lag: the autoscaler evaluates each tick over the periods
 *     that end at the tick, however late its timer fires.
 *   - Instance counts: the desired count is exactly 3 on both sides (the scenario puts any
 *     achievable load far above the target); per minute, the live count must equal a count the
 *     simulator shows within IN_SERVICE_TOL of that minute.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeScalingPoliciesCommand, PutScalingPolicyCommand, RegisterScalableTargetCommand, type PutScalingPolicyRequest, type RegisterScalableTargetRequest } from '@aws-sdk/client-application-auto-scaling';
import { DescribeEndpointCommand } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { activities, scalingClients } from './helpers/autoscaling.js';
import { clients, LINEAR_LEARNER_IMAGE } from './helpers/clients.js';
import { removeDir, startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';
import { deploy, trainBinaryOnSeparableData } from './helpers/pipeline.js';

const SCENARIO = 'test/fixtures/sim-live/scale-out.yaml';
const CLOCK_SCALE = 60;
const THINK_REAL_MS = 50; // 3 emulator seconds at scale 60: the scenario's thinkTime
const WORKERS = 2; // the scenario's closedLoop users
const MAX_REQUESTS = 2_000; // 40/s at most for at most ~15 s of load in the expected case
const LOAD_LIMIT_MS = 60_000; // real time: a hung emulator ends the load, not the test runner
const S = 1000;
const MIN = 60 * S;
const LAG_BUDGET_REAL_MS = 250;
const LAG_BUDGET = LAG_BUDGET_REAL_MS * CLOCK_SCALE;
const DECISION_TOL = 1 * MIN;
const LIVE_DECISION_TOL = DECISION_TOL + LAG_BUDGET;
const WARMUP_MIN = 5 * MIN;
const WARMUP_MAX = 7 * MIN;
const IN_SERVICE_TOL = LIVE_DECISION_TOL + (WARMUP_MAX - WARMUP_MIN) + LAG_BUDGET;

interface Scenario {
  startTime: string;
  endpoint: { name: string };
  scaling: { scalableTarget: RegisterScalableTargetRequest; policies: PutScalingPolicyRequest[] };
}
const scenario = parse(readFileSync(SCENARIO, 'utf8')) as Scenario;
const EP = scenario.endpoint.name;

/** Samples this process's timer lateness (how late a 20 ms timer fires) until stopped. */
function lagSampler() {
  let max = 0;
  let running = true;
  const tick = () => {
    const due = performance.now() + 20;
    setTimeout(() => {
      max = Math.max(max, performance.now() - due);
      if (running) tick();
    }, 20);
  };
  tick();
  return {
    stop: () => {
      running = false;
      return max;
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Timeline {
  decision: number; // ms after the start
  inService: number;
  toCapacity: number;
  countAt: (t: number) => number;
}

function simulated(): { timeline: Timeline; perMinute: number[] } {
  const out = mkdtempSync(join(tmpdir(), 'sim-live-'));
  try {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'emulator/cli.ts', 'simulate', SCENARIO, '--out', out, '--quiet'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const start = Date.parse(scenario.startTime);
    const acts = (JSON.parse(readFileSync(join(out, 'scaling-activities.json'), 'utf8')) as { ScalingActivities: { StatusCode: string; Description: string; StartTime: number; EndTime?: number }[] }).ScalingActivities;
    const ok = acts.filter((a) => a.StatusCode === 'Successful');
    expect(ok).toHaveLength(1);
    const [header, ...rows] = readFileSync(join(out, 'per-minute.csv'), 'utf8').trim().split('\n');
    const col = header.split(',').indexOf('instances_up');
    return { timeline: timelineOf(ok[0].Description, ok[0].StartTime * S - start, ok[0].EndTime! * S - start), perMinute: rows.map((l) => Number(l.split(',')[col])) };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

function timelineOf(description: string, decision: number, inService: number): Timeline {
  const toCapacity = Number(/^Setting desired instance count to (\d+)\.$/.exec(description)![1]);
  return { decision, inService, toCapacity, countAt: (t) => (t < inService ? 1 : toCapacity) };
}

let emu: EmulatorProcess;
let c: ReturnType<typeof clients>;
let s: ReturnType<typeof scalingClients>;

beforeAll(async () => {
  emu = await startEmulatorProcess({ args: ['--timing', 'realistic', '--clock-scale', String(CLOCK_SCALE), '--capacity-mode'] });
  c = clients(emu.url);
  s = scalingClients(emu.url);
}, 180_000);
afterAll(async () => {
  await emu?.stop();
  if (emu) removeDir(emu.dataDir);
});

describe('one scale-out, simulated and live', () => {
  it('decides at the same minute and brings the instances into service within the warm-up spread', async (ctx) => {
    const sim = simulated();

    // The live side: a trained model on the scenario's instance type, the scenario's target and policy.
    const { job } = await trainBinaryOnSeparableData(c, { bucket: 'simlive', name: 'simlive-job', rows: 100, features: 3, seed: 3, hyperParameters: { epochs: '1', num_models: '1' } });
    await deploy(c.sagemaker, EP, LINEAR_LEARNER_IMAGE, job.ModelArtifacts!.S3ModelArtifacts!);
    const before = lagSampler();
    await sleep(1000);
    const idleLag = before.stop();
    if (idleLag > LAG_BUDGET_REAL_MS) ctx.skip(`machine too loaded for a scaled clock: timer lag ${idleLag.toFixed(0)} ms before the run (budget ${LAG_BUDGET_REAL_MS} ms)`);

    await s.aas.send(new RegisterScalableTargetCommand(scenario.scaling.scalableTarget));
    await s.aas.send(new PutScalingPolicyCommand(scenario.scaling.policies[0]));
    const lag = lagSampler();
    let running = true;
    let sent = 0;
    let failed = 0;
    const deadline = performance.now() + LOAD_LIMIT_MS;
    const worker = async () => {
      while (running && sent < MAX_REQUESTS && performance.now() < deadline) {
        sent++;
        try {
          await c.runtime.send(new InvokeEndpointCommand({ EndpointName: EP, Body: Buffer.from('0.1,0.2,0.3'), ContentType: 'text/csv' }));
        } catch {
          failed++;
        }
        await sleep(THINK_REAL_MS);
      }
    };
    const load = Promise.all(Array.from({ length: WORKERS }, worker));
    const counts: { real: number; count: number }[] = [];
    let done: Awaited<ReturnType<typeof activities>>[number] | undefined;
    let maxPollMs = 0;
    try {
      // Poll DescribeEndpoint (the instances in service) and the activities until the scale-out is
      // fulfilled, then one more emulator minute; the load's own bounds end a hung run.
      let until = Infinity;
      while (performance.now() < Math.min(deadline, until)) {
        const sentAt = performance.now();
        const v = (await c.sagemaker.send(new DescribeEndpointCommand({ EndpointName: EP }))).ProductionVariants![0];
        // A stall of the emulator's event loop delays its timers and this answer alike: the
        // longest round trip bounds how late the emulator's scaled-clock timers can have fired.
        maxPollMs = Math.max(maxPollMs, performance.now() - sentAt);
        counts.push({ real: performance.now(), count: v.CurrentInstanceCount! });
        done ??= (await activities(s.aas, EP)).find((a) => a.StatusCode === 'Successful');
        if (done && until === Infinity) until = performance.now() + MIN / CLOCK_SCALE;
        await sleep(100);
      }
    } finally {
      running = false;
      await load;
    }
    const maxLag = Math.max(lag.stop(), maxPollMs);
    if (maxLag > LAG_BUDGET_REAL_MS) ctx.skip(`machine too loaded for a scaled clock: timer lag (this process) or emulator stall (DescribeEndpoint round trip) reached ${maxLag.toFixed(0)} ms during the run (budget ${LAG_BUDGET_REAL_MS} ms)`);
    expect(failed).toBe(0);
    expect(done, `no successful scale-out within ${LOAD_LIMIT_MS / S} s of load (${sent} requests sent)`).toBeDefined();

    const policy = (await s.aas.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'sagemaker', ResourceId: scenario.scaling.scalableTarget.ResourceId }))).ScalingPolicies![0];
    const origin = policy.CreationTime!.getTime();
    const live = timelineOf(done!.Description!, done!.StartTime!.getTime() - origin, done!.EndTime!.getTime() - origin);
    const report = {
      simulated: { decisionS: sim.timeline.decision / S, inServiceS: sim.timeline.inService / S, to: sim.timeline.toCapacity },
      live: { decisionS: live.decision / S, inServiceS: live.inService / S, to: live.toCapacity, requests: sent, maxLagMs: Math.round(maxLag) },
    };
    console.log(`sim vs live: ${JSON.stringify(report)}`);

    // The same decision...
    expect(live.toCapacity).toBe(3);
    expect(sim.timeline.toCapacity).toBe(3);
    // ...at the same minute, give or take one alarm period (and the live timer's lag)...
    expect(Math.abs(live.decision - sim.timeline.decision)).toBeLessThanOrEqual(LIVE_DECISION_TOL);
    // ...each warm-up within the profile's 5-7 minutes...
    expect(sim.timeline.inService - sim.timeline.decision).toBeGreaterThanOrEqual(WARMUP_MIN);
    expect(sim.timeline.inService - sim.timeline.decision).toBeLessThanOrEqual(WARMUP_MAX);
    expect(live.inService - live.decision).toBeGreaterThanOrEqual(WARMUP_MIN);
    expect(live.inService - live.decision).toBeLessThanOrEqual(WARMUP_MAX + LAG_BUDGET);
    // ...so in service within the two draws' spread of each other.
    expect(Math.abs(live.inService - sim.timeline.inService)).toBeLessThanOrEqual(IN_SERVICE_TOL);

    // Instance counts in service. DescribeEndpoint went 1 -> 3 once, never back.
    const seen = counts.map((x) => x.count);
    expect([...new Set(seen)]).toEqual([1, 3]);
    expect(seen.lastIndexOf(1)).toBeLessThan(seen.indexOf(3));
    // Per minute, the live count is one the simulator shows within IN_SERVICE_TOL of that minute.
    const minutes = sim.perMinute.length;
    expect(sim.perMinute[0]).toBe(1);
    expect(sim.perMinute[minutes - 1]).toBe(3);
    for (let k = 0; k * MIN < live.inService + MIN && k < minutes; k++) {
      const t = k * MIN;
      const lo = Math.max(0, Math.floor((t - IN_SERVICE_TOL) / MIN));
      const hi = Math.min(minutes - 1, Math.floor((t + IN_SERVICE_TOL) / MIN));
      expect(sim.perMinute.slice(lo, hi + 1), `minute ${k}`).toContain(live.countAt(t));
    }
  }, 300_000);
});
