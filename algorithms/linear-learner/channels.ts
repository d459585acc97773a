import { ChannelStream, type Block } from '../channel-data.js';
import { AlgorithmError } from '../errors.js';
import type { Rng } from '../../core/random.js';
import type { LinearLearnerConfig } from './hyperparameters.js';
import type { Batch } from './parallel-models.js';
import { scaleInPlace, type Scaler } from './scaler.js';

/**
 * Linear Learner's passes over its channels: label checks, the survey pass (class counts and the
 * scaler's sample), channels seen through the scaler, and mini-batch assembly.
 */

export function checkLabels(b: Block, cfg: LinearLearnerConfig, channel: string, rowBase: number): void {
  const y = b.y;
  for (let i = 0; i < b.n; i++) {
    const v = y[i];
    if (Number.isNaN(v) && i === 0 && rowBase === 0) {
      throw new AlgorithmError(`Channel '${channel}' has no labels; linear-learner needs a label (first CSV column or label["values"])`);
    }
    if (!Number.isFinite(v)) throw new AlgorithmError(`Channel '${channel}': row ${rowBase + i + 1} has a missing or non-finite label`);
    if (cfg.predictorType === 'binary_classifier' && v !== 0 && v !== 1) {
      throw new AlgorithmError(`Channel '${channel}': label ${v} at row ${rowBase + i + 1} is invalid; binary_classifier labels must be 0 or 1`);
    }
    if (cfg.predictorType === 'multiclass_classifier' && (!Number.isInteger(v) || v < 0 || v >= cfg.numClasses)) {
      throw new AlgorithmError(`Channel '${channel}': label ${v} at row ${rowBase + i + 1} is invalid; multiclass_classifier labels must be integers in [0, ${cfg.numClasses - 1}]`);
    }
  }
}

/** A channel seen through the scaler: cached blocks are scaled once in place, streamed ones per pass. */
export class ScaledChannel {
  private scaledInPlace = false;
  constructor(readonly stream: ChannelStream, private readonly scaler: Scaler) {}
  async forEach(fn: (b: Block) => void | boolean, rng?: Rng): Promise<void> {
    if (!this.scaledInPlace && this.stream.mapCached((b) => scaleInPlace(b.x, b.n, b.d, this.scaler))) this.scaledInPlace = true;
    if (this.scaledInPlace) return this.stream.forEach(fn, { rng });
    return this.stream.forEach((b) => {
      const x = b.x.slice(0, b.n * b.d);
      scaleInPlace(x, b.n, b.d, this.scaler);
      return fn({ ...b, x });
    });
  }
}

/** First pass over a channel: validates labels, counts classes, and samples rows for the scaler. */
export async function surveyChannel(stream: ChannelStream, cfg: LinearLearnerConfig, name: string, sampleSize: number, rng: Rng) {
  const classes = new Float64Array(Math.max(cfg.numClasses, 2));
  let rows = 0;
  let sx: Float32Array | undefined;
  const sy = new Float32Array(sampleSize);
  let taken = 0;
  await stream.forEach((b) => {
    checkLabels(b, cfg, name, rows);
    const d = b.d;
    sx ??= new Float32Array(sampleSize * d);
    for (let i = 0; i < b.n; i++) {
      const seen = rows + i;
      if (cfg.predictorType !== 'regressor') classes[b.y[i]]++;
      // Reservoir sampling: every row has the same chance of being among the scaler's rows.
      const slot = seen < sampleSize ? seen : rng.int(seen + 1);
      if (slot < sampleSize) {
        sx.set(b.x.subarray(i * d, (i + 1) * d), slot * d);
        sy[slot] = b.y[i];
        taken = Math.min(sampleSize, taken + (seen < sampleSize ? 1 : 0));
      }
    }
    rows += b.n;
  });
  return { rows, classes, sample: { x: sx!, y: sy, n: taken } };
}

/** Fills mini-batches (x, its transpose, labels, normalized weights) from shuffled block rows. */
export class BatchAssembler {
  private readonly b: Batch;
  private rawW: Float32Array;
  private fill = 0;
  constructor(private readonly bs: number, private readonly d: number, private readonly label: (y: number) => number, private readonly weight: (y: number) => number, private readonly step: (b: Batch) => void) {
    this.b = { n: 0, x: new Float32Array(bs * d), xt: new Float32Array(bs * d), y: new Float32Array(bs), w: new Float32Array(bs) };
    this.rawW = new Float32Array(bs);
  }
  add(block: Block, order: Uint32Array): void {
    const { d, bs } = this;
    const { x, y } = block;
    const b = this.b;
    for (let k = 0; k < order.length; k++) {
      const r = order[k];
      const f = this.fill;
      const src = r * d;
      b.x.set(x.subarray(src, src + d), f * d);
      b.y[f] = this.label(y[r]);
      this.rawW[f] = this.weight(y[r]);
      if (++this.fill === bs) this.emit();
    }
  }
  emit(): void {
    const n = this.fill;
    if (n === 0) return;
    const { d } = this;
    const b = this.b;
    // Transpose into [d, n] for the untransposed gradient matMul.
    const x = b.x;
    const xt = b.xt;
    for (let r = 0; r < n; r++) {
      const o = r * d;
      for (let j = 0; j < d; j++) xt[j * n + r] = x[o + j];
    }
    let sum = 0;
    for (let i = 0; i < n; i++) sum += this.rawW[i];
    for (let i = 0; i < n; i++) b.w[i] = this.rawW[i] / sum;
    b.n = n;
    this.step(n === this.bs ? b : { n, x: b.x.subarray(0, n * d), xt: b.xt.subarray(0, n * d), y: b.y.subarray(0, n), w: b.w.subarray(0, n) });
    this.fill = 0;
  }
}
