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
