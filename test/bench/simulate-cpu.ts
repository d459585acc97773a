/**
 * CPU time per simulator event, for A/B comparisons on a shared machine (wall time there depends
 * on the neighbours; CPU time much less). Runs the M/M/c model of `npm run bench:simulate` (Poisson
 * 1,000/s into one ml.m4.xlarge, 4 workers, exponential service of mean 3.333 ms) for HOURS
 * simulated hours, three times per checkout, alternating between the checkouts given, and prints
 * model events per CPU-second (process.cpuUsage: user + system) for each run.
 *
 *   taskset -c 0 npx tsx test/bench/simulate-cpu.ts . /tmp/older-worktree [--hours 2]
 *
 * An older commit to compare with: `git worktree add --detach /tmp/older <commit>` and link this
 * checkout's node_modules into it.
 */
import { resolve } from 'node:path';

const args = process.argv.slice(2);
const h = args.indexOf('--hours');
const hours = h >= 0 ? Number(args.splice(h, 2)[1]) : 2;
const roots = (args.length ? args : ['.']).map((r) => resolve(r));

type Run = (s: unknown) => { fastEvents: number; slowEvents: number };
const loaded = await Promise.all(
  roots.map(async (root) => ({
    root,
    runScenario: (await import(`${root}/simulator/run.ts`)).runScenario as Run,
    parseScenario: (await import(`${root}/simulator/scenario.ts`)).parseScenario as (o: unknown) => unknown,
    results: [] as number[],
  })),
);
const scenario = (parse: (o: unknown) => unknown, seconds: number) =>
  parse({
    name: 'bench-mmc',
    seed: 1,
    traffic: { phases: [{ name: 'poisson', openLoop: { rate: 1000, duration: seconds } }] },
    serving: { instanceType: 'ml.m4.xlarge', concurrency: 4, serviceTime: { distribution: 'exponential', mean: `${10 / 3}ms` } },
  });
for (const l of loaded) l.runScenario(scenario(l.parseScenario, 120)); // warm the JIT
for (let round = 0; round < 3; round++) {
  for (const l of loaded) {
    const c0 = process.cpuUsage();
    const r = l.runScenario(scenario(l.parseScenario, hours * 3600));
    const c = process.cpuUsage(c0);
    l.results.push((r.fastEvents + r.slowEvents) / ((c.user + c.system) / 1e6));
  }
}
for (const l of loaded) {
  console.log(`${l.root}: ${l.results.map((x) => (x / 1e6).toFixed(2)).join(' ')} M events/CPU-s (best ${(Math.max(...l.results) / 1e6).toFixed(2)})`);
}
