/** Evaluation metrics and threshold calibration for the selected linear model. */
import type { LossName, LinearLearnerConfig, SelectionCriterion } from './hyperparameters.js';

const EPS = 1e-12;

export function objectiveName(loss: LossName): string {
  switch (loss) {
    case 'squared_loss': return 'mse_objective';
    case 'logistic': return 'binary_classification_cross_entropy_objective';
    case 'softmax_loss': return 'multiclass_cross_entropy_objective';
    default: return `${loss}_objective`;
  }
}

/** Per-example regression loss on residual r = prediction - label. */
export function regressionLoss(loss: LossName, r: number, cfg: Pick<LinearLearnerConfig, 'huberDelta' | 'quantile' | 'lossInsensitivity'>): number {
  const a = Math.abs(r);
  switch (loss) {
    case 'absolute_loss': return a;
    case 'eps_insensitive_absolute_loss': return Math.max(0, a - cfg.lossInsensitivity);
    case 'eps_insensitive_squared_loss': { const e = Math.max(0, a - cfg.lossInsensitivity); return e * e; }
    case 'huber_loss': return a <= cfg.huberDelta ? 0.5 * r * r : cfg.huberDelta * (a - 0.5 * cfg.huberDelta);
    case 'quantile_loss': { const e = -r; return Math.max(cfg.quantile * e, (cfg.quantile - 1) * e); }
    default: return r * r;
  }
}

/** Binary objective from a score (probability for logistic, margin for hinge). */
export function binaryLoss(loss: LossName, score: number, label: number, margin: number): number {
  if (loss === 'hinge_loss') return Math.max(0, margin - (label > 0.5 ? 1 : -1) * score);
  const p = Math.min(1 - 1e-7, Math.max(1e-7, score));
  return label > 0.5 ? -Math.log(p) : -Math.log(1 - p);
}

export interface Confusion { tp: number; fp: number; tn: number; fn: number }

export function confusion(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold: number): Confusion {
  const c = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (let i = 0; i < labels.length; i++) {
    const pos = scores[i] >= threshold;
    if (labels[i] > 0.5) pos ? c.tp++ : c.fn++;
    else pos ? c.fp++ : c.tn++;
  }
  return c;
}

function fBeta(tp: number, fp: number, fn: number, beta: number): number {
  const b2 = beta * beta;
  const denom = (1 + b2) * tp + b2 * fn + fp;
  return denom === 0 ? 0 : ((1 + b2) * tp) / denom;
}

/** Scores of positives and of negatives, each sorted descending (native typed-array sorts). */
function splitSorted(scores: ArrayLike<number>, labels: ArrayLike<number>): { pos: Float64Array; neg: Float64Array } {
  let nPos = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] > 0.5) nPos++;
  const pos = new Float64Array(nPos);
  const neg = new Float64Array(labels.length - nPos);
  let p = 0, q = 0;
  for (let i = 0; i < labels.length; i++) labels[i] > 0.5 ? (pos[p++] = scores[i]) : (neg[q++] = scores[i]);
  pos.sort().reverse();
  neg.sort().reverse();
  return { pos, neg };
}

export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const { pos, neg } = splitSorted(scores, labels);
  if (pos.length === 0 || neg.length === 0) return 0.5;
  // For each positive, count negatives scored below it (ties count half): both lists descending.
  let wins = 0;
  let below = neg.length; // negatives with score < current positive, found by walking down
  let j = 0; // first negative with score <= current positive
  for (let i = 0; i < pos.length; i++) {
    const s = pos[i];
    while (j < neg.length && neg[j] > s) j++;
    let t = j;
    while (t < neg.length && neg[t] === s) t++;
    below = neg.length - t;
    wins += below + 0.5 * (t - j);
  }
  return wins / (pos.length * neg.length);
}

/**
 * Chooses the decision threshold that maximises the selection criterion, sweeping every cut
 * between distinct sorted scores. Returns the threshold and the criterion value (higher is better).
 */
export function calibrateThreshold(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  criterion: SelectionCriterion,
  cfg: Pick<LinearLearnerConfig, 'fBeta' | 'targetPrecision' | 'targetRecall'>,
  defaultThreshold: number,
): { threshold: number; value: number } {
  const n = labels.length;
  let nPos = 0;
  for (let i = 0; i < n; i++) if (labels[i] > 0.5) nPos++;
  if (criterion === 'loss_function' || n === 0) return { threshold: defaultThreshold, value: NaN };
  const { pos, neg } = splitSorted(scores, labels);
  const top = Math.max(pos[0] ?? -Infinity, neg[0] ?? -Infinity);
  let best = { threshold: defaultThreshold, value: -Infinity };
  let tp = 0;
  let fp = 0;
  let i = 0;
  let j = 0;
  // Cuts between distinct scores, highest first: everything above the cut is predicted positive.
  for (let k = 0; ; ) {
    let threshold: number;
    if (k === 0) threshold = top + 1e-6;
    else {
      const last = Math.min(i > 0 ? pos[i - 1] : Infinity, j > 0 ? neg[j - 1] : Infinity);
      const next = Math.max(i < pos.length ? pos[i] : -Infinity, j < neg.length ? neg[j] : -Infinity);
      threshold = next === -Infinity ? last : (last + next) / 2;
    }
    const fn = nPos - tp;
    const tn = n - nPos - fp;
    let value: number;
    switch (criterion) {
      case 'accuracy': value = (tp + tn) / n; break;
      case 'f_beta': value = fBeta(tp, fp, fn, cfg.fBeta); break;
      case 'precision_at_target_recall': value = nPos > 0 && tp / nPos >= cfg.targetRecall ? (tp + fp > 0 ? tp / (tp + fp) : 0) : -1; break;
      case 'recall_at_target_precision': value = tp + fp > 0 && tp / (tp + fp) >= cfg.targetPrecision ? (nPos > 0 ? tp / nPos : 0) : -1; break;
      default: value = 0;
    }
    // Among equally good cuts prefer the one nearest the natural threshold: it generalises better.
    const better = value > best.value + 1e-12 ||
      (Math.abs(value - best.value) <= 1e-12 && Math.abs(threshold - defaultThreshold) < Math.abs(best.threshold - defaultThreshold));
    if (better) best = { threshold, value };
    if (k === n) break;
    // Take every row holding the next (highest remaining) score.
    const s = Math.max(i < pos.length ? pos[i] : -Infinity, j < neg.length ? neg[j] : -Infinity);
    while (i < pos.length && pos[i] === s) i++, tp++, k++;
    while (j < neg.length && neg[j] === s) j++, fp++, k++;
  }
  return best;
}

export type MetricList = { name: string; kind: 'loss' | 'score'; value: number }[];

export function binaryMetrics(loss: LossName, scores: Float64Array, labels: Float32Array, threshold: number, cfg: LinearLearnerConfig): MetricList {
  const n = labels.length;
  let obj = 0;
  for (let i = 0; i < n; i++) obj += binaryLoss(loss, scores[i], labels[i], cfg.margin);
  const c = confusion(scores, labels, threshold);
  return [
    { name: objectiveName(loss), kind: 'loss', value: obj / n },
    { name: 'binary_classification_accuracy', kind: 'score', value: (c.tp + c.tn) / n },
    { name: `binary_f_${cfg.fBeta.toFixed(3)}`, kind: 'score', value: fBeta(c.tp, c.fp, c.fn, cfg.fBeta) },
    { name: 'precision', kind: 'score', value: c.tp + c.fp > 0 ? c.tp / (c.tp + c.fp) : 0 },
    { name: 'recall', kind: 'score', value: c.tp + c.fn > 0 ? c.tp / (c.tp + c.fn) : 0 },
    { name: 'roc_auc_score', kind: 'score', value: rocAuc(scores, labels) },
  ];
}

export function regressionMetrics(loss: LossName, preds: Float64Array, labels: Float32Array, cfg: LinearLearnerConfig): MetricList {
  const n = labels.length;
  let obj = 0, se = 0, ae = 0;
  for (let i = 0; i < n; i++) {
    const r = preds[i] - labels[i];
    obj += regressionLoss(loss, r, cfg);
    se += r * r;
    ae += Math.abs(r);
  }
  return [
    { name: objectiveName(loss), kind: 'loss', value: obj / n },
    { name: 'mse', kind: 'loss', value: se / n },
    { name: 'rmse', kind: 'loss', value: Math.sqrt(se / n) },
    { name: 'absolute_loss', kind: 'loss', value: ae / n },
  ];
}

export function multiclassMetrics(probs: Float64Array, labels: Float32Array, classes: number, cfg: LinearLearnerConfig): MetricList {
  const n = labels.length;
  let ce = 0, correct = 0, topk = 0, dcg = 0;
  const tp = new Float64Array(classes), predicted = new Float64Array(classes), actual = new Float64Array(classes);
  for (let r = 0; r < n; r++) {
    const y = labels[r];
    const base = r * classes;
    const py = probs[base + y];
    ce -= Math.log(Math.max(py, EPS));
    let argmax = 0;
    let rank = 1;
    for (let k = 0; k < classes; k++) {
      if (probs[base + k] > probs[base + argmax]) argmax = k;
      if (probs[base + k] > py || (probs[base + k] === py && k < y)) rank++;
    }
    if (argmax === y) correct++;
    if (rank <= cfg.accuracyTopK) topk++;
    dcg += 1 / Math.log2(1 + rank);
    predicted[argmax]++;
    actual[y]++;
    if (argmax === y) tp[y]++;
  }
  let recall = 0, precision = 0, f = 0, present = 0;
  for (let k = 0; k < classes; k++) {
    if (actual[k] === 0 && predicted[k] === 0) continue;
    present++;
    const rc = actual[k] > 0 ? tp[k] / actual[k] : 0;
    const pr = predicted[k] > 0 ? tp[k] / predicted[k] : 0;
    recall += rc;
    precision += pr;
    f += fBeta(tp[k], predicted[k] - tp[k], actual[k] - tp[k], cfg.fBeta);
  }
  present = Math.max(present, 1);
  return [
    { name: 'multiclass_cross_entropy_objective', kind: 'loss', value: ce / n },
    { name: 'multiclass_accuracy', kind: 'score', value: correct / n },
    { name: `multiclass_top_k_accuracy_${cfg.accuracyTopK}`, kind: 'score', value: topk / n },
    { name: 'dcg', kind: 'score', value: dcg / n },
    { name: 'macro_recall', kind: 'score', value: recall / present },
    { name: 'macro_precision', kind: 'score', value: precision / present },
    { name: `macro_f_${cfg.fBeta.toFixed(3)}`, kind: 'score', value: f / present },
  ];
}
