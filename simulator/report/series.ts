import { H_BUCKETS, percentile } from '../model/histogram.js';
import type { RunResult } from '../run.js';
import { minuteCpu, r3 } from './summary.js';

export type Columns = Record<string, (number | string | null)[]>;

/** Per-second series: gauges at the start of each second, counts and latencies over it. */
export function perSecond(r: RunResult): Columns {
  const model = r.model;
  const m = model.recorder;
  const n = Math.floor(r.scenario.durationMs / 1000);
  const cores = r.scenario.serving.cpuCoresPerRequest;
  // Instance-milliseconds up (in service or draining) in each second: the denominator of CPU per
  // instance, so an instance that comes up mid-second counts for the part it was up.
  const upMs = new Float64Array(n + 1);
  for (const inst of model.fleet.instances) {
    if (Number.isNaN(inst.inServiceAt)) continue;
    let a = inst.inServiceAt - m.origin;
    const b = Math.min(Number.isNaN(inst.goneAt) ? Infinity : inst.goneAt, model.end) - m.origin;
    while (a < b) {
      const s = Math.floor(a / 1000);
      const next = Math.min(b, (s + 1) * 1000);
      if (s < n) upMs[s] += next - a;
      a = next;
    }
  }
  const c: Columns = {
    second: [],
    time: [],
    users: [],
    sent: [],
    hits: [],
    ok: [],
    errors: [],
    timeouts: [],
    avg_latency_ms: [],
    max_latency_ms: [],
    in_service: [],
    pending: [],
    desired: [],
    outstanding: [],
    cpu_per_instance_pct: [],
  };
  for (let s = 0; s < n; s++) {
    c.second.push(s);
    c.time.push(new Date(m.origin + s * 1000).toISOString());
    c.users.push(m.perSecondUsers[s]);
    c.sent.push(m.perSecondSent[s]);
    c.hits.push(m.perSecondResponses[s]);
    c.ok.push(m.perSecondOk[s]);
    c.errors.push(m.perSecondErrors[s]);
    c.timeouts.push(m.perSecondTimeouts[s]);
    c.avg_latency_ms.push(m.perSecondOk[s] > 0 ? r3(m.perSecondLatencySum[s] / m.perSecondOk[s]) : null);
    c.max_latency_ms.push(m.perSecondOk[s] > 0 ? r3(m.perSecondLatencyMax[s]) : null);
    c.in_service.push(m.perSecondInService[s]);
    c.pending.push(m.perSecondPending[s]);
    c.desired.push(m.perSecondDesired[s]);
    c.outstanding.push(m.perSecondOutstanding[s]);
    c.cpu_per_instance_pct.push(upMs[s] > 0 ? r3((m.perSecondBusy[s] * cores * 100) / upMs[s]) : null);
  }
  return c;
}

/** Per-minute series: the CloudWatch metrics (ModelLatency in microseconds) plus percentiles. */
export function perMinute(r: RunResult): Columns {
  const m = r.model.recorder;
  const n = Math.ceil(r.scenario.durationMs / 60_000);
  const c: Columns = {
    minute: [],
    time: [],
    invocations: [],
    invocations_per_instance: [],
    model_latency_avg_us: [],
    model_latency_max_us: [],
    latency_p50_ms: [],
    latency_p95_ms: [],
    latency_p99_ms: [],
    invocation_5xx_errors: [],
    timeouts: [],
    rejected: [],
    throttled: [],
    cpu_avg_pct: [],
    cpu_max_pct: [],
    cpu_min_pct: [],
    instances_up: [],
  };
  for (let k = 0; k < n; k++) {
    const cnt = m.perMinuteOk[k];
    const modelCount = m.perMinuteModelLatencyCount[k];
    const cpu = minuteCpu(r, k);
    c.minute.push(k);
    c.time.push(new Date(m.origin + k * 60_000).toISOString());
    c.invocations.push(m.perMinuteInvocations[k]);
    c.invocations_per_instance.push(r3(m.perMinuteInvocationsPerInstance[k]));
    c.model_latency_avg_us.push(modelCount > 0 ? r3((m.perMinuteModelLatencySum[k] / modelCount) * 1000) : null);
    c.model_latency_max_us.push(modelCount > 0 ? r3(m.perMinuteModelLatencyMax[k] * 1000) : null);
    c.latency_p50_ms.push(cnt > 0 ? r3(percentile(m.perMinuteHistogram, k * H_BUCKETS, 0.5, cnt)) : null);
    c.latency_p95_ms.push(cnt > 0 ? r3(percentile(m.perMinuteHistogram, k * H_BUCKETS, 0.95, cnt)) : null);
    c.latency_p99_ms.push(cnt > 0 ? r3(percentile(m.perMinuteHistogram, k * H_BUCKETS, 0.99, cnt)) : null);
    c.invocation_5xx_errors.push(m.perMinute5xx[k]);
    c.timeouts.push(m.perMinuteTimeouts[k]);
    c.rejected.push(m.perMinuteRejected[k]);
    c.throttled.push(m.perMinuteThrottled[k]);
    c.cpu_avg_pct.push(cpu.avg === null ? null : r3(cpu.avg));
    c.cpu_max_pct.push(cpu.max === null ? null : r3(cpu.max));
    c.cpu_min_pct.push(cpu.min === null ? null : r3(cpu.min));
    c.instances_up.push(cpu.n);
  }
  return c;
}

export function toCsv(c: Columns): string {
  const keys = Object.keys(c);
  const n = c[keys[0]].length;
  const lines = [keys.join(',')];
  for (let i = 0; i < n; i++) lines.push(keys.map((k) => (c[k][i] === null ? '' : String(c[k][i]))).join(','));
  return lines.join('\n') + '\n';
}
