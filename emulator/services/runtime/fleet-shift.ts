import type { ServingVariant } from './serving-registry.js';

/**
 * The split of one variant's requests between its old and new fleet during a guarded deployment.
 * Counting, not drawing: the n-th request goes to the green fleet when floor(n x greenShare)
 * grows, so any run of requests sees the share to within one request, and a test can check it.
 */
export interface FleetShift {
  green: ServingVariant;
  greenShare: number;
  /** Requests routed since this split began, and how many of them went to the green fleet. */
  routed: number;
  toGreen: number;
}

/** The fleet that serves a request routed to `v`: v itself, or its green fleet for greenShare of them. */
export function routeFleet(v: ServingVariant): ServingVariant {
  const s = v.shift;
  if (!s) return v;
  s.routed++;
  if (Math.floor(s.routed * s.greenShare + 1e-9) > s.toGreen) {
    s.toGreen++;
    return s.green;
  }
  return v;
}
