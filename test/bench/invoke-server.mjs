// The emulator as bench:invoke runs it: `localsage serve` from the ahead-of-time build, with an
// InvocationRecorder that does what CloudWatch's does on the hot path (bump per-minute counters
// in a Map), so the measured figure holds once endpoint metrics are wired in.
import { pathToFileURL } from 'node:url';
import { ensureBuilt } from '../../emulator/build.mjs';

const dir = await ensureBuilt();
const { startEmulator } = await import(pathToFileURL(`${dir}/emulator/server.js`).href);

/**
 * Per-minute, per-variant counters (Invocations, 4XX, 5XX, latency sum/min/max), as a CloudWatch
 * recorder keeps them between publishes: nested Maps (scope, endpoint, variant) so that the hot
 * path allocates nothing once a variant has been seen.
 */
class MinuteCounters {
  variants = new Map();
  record(scope, endpoint, variant, o) {
    const byScope = this.variants.get(scope.accountId + scope.region) ?? this.variants.set(scope.accountId + scope.region, new Map()).get(scope.accountId + scope.region);
    const byEndpoint = byScope.get(endpoint) ?? byScope.set(endpoint, new Map()).get(endpoint);
    let c = byEndpoint.get(variant);
    const minute = Math.floor(Date.now() / 60_000);
    if (!c || c.minute !== minute) {
      // A real recorder hands the finished minute to its publisher here.
      c = { minute, invocations: 0, e4xx: 0, e5xx: 0, modelSum: 0, modelMin: Infinity, modelMax: 0, overheadSum: 0, overheadMin: Infinity, overheadMax: 0 };
      byEndpoint.set(variant, c);
    }
    c.invocations++;
    if (o.status >= 500) c.e5xx++;
    else if (o.status >= 400) c.e4xx++;
    c.modelSum += o.modelLatencyUs;
    if (o.modelLatencyUs < c.modelMin) c.modelMin = o.modelLatencyUs;
    if (o.modelLatencyUs > c.modelMax) c.modelMax = o.modelLatencyUs;
    c.overheadSum += o.overheadLatencyUs;
    if (o.overheadLatencyUs < c.overheadMin) c.overheadMin = o.overheadLatencyUs;
    if (o.overheadLatencyUs > c.overheadMax) c.overheadMax = o.overheadLatencyUs;
  }
}

const recorder = new MinuteCounters();
const emulator = await startEmulator({ port: 0, dataDir: process.argv[2], quiet: true }, { invocationRecorder: recorder });
console.log(`localsage: listening on ${emulator.url}`);
const stop = () => void emulator.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
