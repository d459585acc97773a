/**
 * How long each state of a resource lasts. `fast` keeps every real state transition but finishes
 * in about a second, for tests; `realistic` follows what AWS takes (instance start-up is most of
 * a real job's billed time). Durations are in emulator-clock milliseconds, so a ScaledClock can
 * play the realistic profile faster.
 */
export interface TimingProfile {
  trainingStarting: number;
  trainingDownloadingMin: number;
  trainingUploadingMin: number;
  trainingStopping: number;
  endpointCreating: number;
  endpointUpdating: number;
  endpointDeleting: number;
  /**
   * Start-up of an instance added to a running endpoint (a scale-out), drawn uniformly from
   * [min, max] per capacity change. AWS documents no figure; load tests report 5-7 minutes.
   */
  instanceWarmupMin: number;
  instanceWarmupMax: number;
  /** Instances starting and the model container loading, before the first record is sent. */
  transformStarting: number;
  transformStopping: number;
}

export const TIMING_PROFILES: Record<'fast' | 'realistic', TimingProfile> = {
  fast: {
    trainingStarting: 150,
    trainingDownloadingMin: 50,
    trainingUploadingMin: 50,
    trainingStopping: 100,
    endpointCreating: 300,
    endpointUpdating: 200,
    endpointDeleting: 100,
    instanceWarmupMin: 200,
    instanceWarmupMax: 400,
    transformStarting: 150,
    transformStopping: 100,
  },
  realistic: {
    trainingStarting: 90_000,
    trainingDownloadingMin: 20_000,
    trainingUploadingMin: 10_000,
    trainingStopping: 30_000,
    endpointCreating: 6 * 60_000,
    endpointUpdating: 6 * 60_000,
    endpointDeleting: 60_000,
    instanceWarmupMin: 5 * 60_000,
    instanceWarmupMax: 7 * 60_000,
    transformStarting: 4 * 60_000,
    transformStopping: 30_000,
  },
};
