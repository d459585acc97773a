/** M/M/c analytics, the yardstick of the simulator's tests and benchmark. */

/** Erlang C: probability that an arrival waits in an M/M/c queue with offered load a = lambda / mu. */
export function erlangC(c: number, a: number): number {
  let term = 1;
  let sum = 1;
  for (let k = 1; k < c; k++) {
    term *= a / k;
    sum += term;
  }
  const top = ((term * a) / c) * (c / (c - a));
  return top / (sum + top);
}

/** Mean response time (wait + service) of an M/M/c queue, in ms, for rates per second. */
export function mmcMeanResponseMs(c: number, lambda: number, mu: number): number {
  return (erlangC(c, lambda / mu) / (c * mu - lambda)) * 1000 + 1000 / mu;
}

/**
 * The machine-repairman (finite-source, M/M/c//N) model: N closed-loop users each spend a think
 * time of mean Z outside (any distribution: the result is insensitive to it) and then queue for
 * one of c servers with exponential service of mean S. Returns the throughput X (per unit of
 * time of Z and S) and the mean response time at the servers R = N / X - Z (the interactive
 * response-time law). p_k, the probability that k users are at the servers, is proportional to
 * N!/(N-k)! r^k / k! for k <= c and N!/(N-k)! r^k / (c! c^(k-c)) above, with r = S / Z.
 */
export function machineRepairman(N: number, c: number, Z: number, S: number): { X: number; R: number } {
  const r = S / Z;
  const weights: number[] = [];
  let w = 1;
  for (let k = 0; k <= N; k++) {
    if (k > 0) w *= ((N - k + 1) * r) / Math.min(k, c);
    weights.push(w);
  }
  const total = weights.reduce((a, b) => a + b, 0);
  let busy = 0;
  for (let k = 0; k <= N; k++) busy += (Math.min(k, c) * weights[k]) / total;
  const X = busy / S;
  return { X, R: N / X - Z };
}
