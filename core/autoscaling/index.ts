/**
 * Application Auto Scaling semantics, independent of any event engine: give it a Clock, a
 * MetricSource and a CapacityTarget. The simulator runs it on a VirtualClock; the emulator's live
 * autoscaler can run the same code on a RealClock or ScaledClock.
 */
export * from './types.js';
export * from './errors.js';
export * from './alarm.js';
export * from './schedule.js';
export * from './autoscaler.js';
export * from './activities.js';
export * from './policies.js';
export { sageMakerDimensions } from './state.js';
