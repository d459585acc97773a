/**
 * localsage side of `npm run bench:train`: one scenario per process (so peak RSS is its own), JSON
 * on stdout. Timed: the whole `train()` call on the main thread, the same code an instance worker
 * runs: reading and parsing the CSV, the scaler pass, training, selection, and (linear-learner)
 * scoring the test channel. K-means' mean squared distance over the training rows is computed
 * afterwards, untimed.
 *
 * Not timed: loading the trainer's modules (tfjs and its wasm backend, about 0.3 s of CPU under
 * tsx), just as the scikit-learn side imports sklearn before its clock starts. train() imports its
 * trainer on first use (so the emulator starts without tfjs); the bench loads it beforehand, so
 * the figure stays the training run itself and comparable with figures taken when index.ts
 * imported the trainers eagerly.
 */
import { readFileSync } from 'node:fs';
import { decodeAlgorithmModel, loadModel, metricDefinitions, train, type ChannelFiles } from '../../algorithms/index.js';
import { loadChannel } from '../../algorithms/channel-data.js';

const [scenario, trainCsv, testCsv, seedArg] = process.argv.slice(2);
const seed = Number(seedArg ?? 1);
const lines: string[] = [];
const ch = (name: string, file: string, contentType = 'text/csv'): ChannelFiles => ({ name, contentType, compression: 'None', files: [file] });
const metric = (algorithm: 'linear-learner' | 'kmeans', name: string): number | undefined => {
  const re = new RegExp(metricDefinitions(algorithm).find((d) => d.Name === name)!.Regex);
  let v: number | undefined;
  for (const l of lines) {
    const m = re.exec(l);
    if (m) v = Number(m[1]);
  }
  return v;
};
const grab = (re: RegExp): number | undefined => {
  for (const l of lines) {
    const m = re.exec(l);
    if (m) return Number(m[1]);
  }
  return undefined;
};

const out: Record<string, unknown> = { scenario };
// The same module instances train() imports lazily, loaded here outside the timed region.
if (scenario === 'll1' || scenario === 'll32') await import('../../algorithms/linear-learner/train.js');
else if (scenario === 'km') await import('../../algorithms/kmeans/train.js');
const t0 = performance.now();
const cpu0 = process.cpuUsage();
/** CPU seconds of every thread of this process since t0: steadier than wall time on a busy machine. */
const cpuSince = () => {
  const c = process.cpuUsage(cpu0);
  return (c.user + c.system) / 1e6;
};
let model: Buffer;
if (scenario === 'll1' || scenario === 'll32') {
  const hp: Record<string, string> = { predictor_type: 'binary_classifier', epochs: '5', mini_batch_size: '1000', feature_dim: '122' };
  if (scenario === 'll1') hp.num_models = '1';
  ({ model } = await train({ algorithm: 'linear-learner', hyperParameters: hp, channels: [ch('train', trainCsv), ch('test', testCsv)], host: 'algo-1', hosts: ['algo-1'], log: (l) => lines.push(l), seed }));
  out.wall_s = (performance.now() - t0) / 1000;
  out.cpu_s = cpuSince();
  out.accuracy = metric('linear-learner', 'test:binary_classification_accuracy');
  out.fit_s = grab(/Training of \d+ model\(s\) took (\S+) s/);
  out.setup_s = grab(/Setup done in (\S+) s/);
  out.records_x_models_per_s = grab(/: (\d+) records x models per second/);
  const tp = lines.map((l) => /train throughput=(\S+) records/.exec(l)).filter(Boolean).map((m) => Number(m![1]));
  out.records_per_s = Math.max(...tp);
} else if (scenario === 'km') {
  ({ model } = await train({ algorithm: 'kmeans', hyperParameters: { k: '23', feature_dim: '122', epochs: '1', mini_batch_size: '5000' }, channels: [ch('train', trainCsv, 'text/csv;label_size=1')], host: 'algo-1', hosts: ['algo-1'], log: (l) => lines.push(l), seed }));
  out.wall_s = (performance.now() - t0) / 1000;
  out.cpu_s = cpuSince();
  // Untimed: mean squared distance of every training row to its nearest final centroid.
  const decoded = decodeAlgorithmModel(model);
  if (decoded.algorithm !== 'kmeans') throw new Error('expected a k-means model');
  const { k, centroids: c } = decoded.model;
  const ds = await loadChannel(ch('train', trainCsv, 'text/csv;label_size=1'), { defaultCsvLabelSize: 0, featureDim: 122 });
  let ssd = 0;
  for (let r = 0; r < ds.n; r++) {
    let best = Infinity;
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let f = 0; f < 122; f++) {
        const diff = ds.x[r * 122 + f] - c[j * 122 + f];
        s += diff * diff;
      }
      if (s < best) best = s;
    }
    ssd += best;
  }
  out.msd = ssd / ds.n;
  out.train_msd_logged = metric('kmeans', 'train:msd');
} else throw new Error(`unknown scenario ${scenario}`);
loadModel(model);
out.backend = lines.map((l) => /Using tfjs backend: (\S+)/.exec(l)).find(Boolean)?.[1];
out.peak_rss_mb = process.resourceUsage().maxRSS / 1024;
if (process.env.BENCH_LOG) console.error(lines.join('\n'));
void readFileSync;
console.log(JSON.stringify(out));
