import type { HyperParameterTuningJobConfig } from '@aws-sdk/client-sagemaker';
import { inferMaxResource } from './validate.js';
import { hyperbandDecision, medianStoppingDecision, type EpochHistory, type HyperbandConfig, type StopDecision } from '../../../tuning/search/index.js';

/**
 * Per-epoch stopping of a tuning job's children: the median stopping rule for
 * TrainingJobEarlyStoppingType Auto, asynchronous successive halving for Hyperband. It keeps each
 * child's objective curve (one value per epoch, as scraped from its log, in launch order) and
 * answers, after each epoch, whether that child should stop now.
 */
export class EpochStopper {
  private readonly histories = new Map<string, EpochHistory>();
  private readonly mode: 'off' | 'median' | 'hyperband';
  readonly hyperband?: HyperbandConfig;

  constructor(
    config: HyperParameterTuningJobConfig,
    private readonly direction: 'Minimize' | 'Maximize',
    statics?: Record<string, string>,
  ) {
    this.mode = config.Strategy === 'Hyperband' ? 'hyperband' : config.TrainingJobEarlyStoppingType === 'Auto' ? 'median' : 'off';
    if (this.mode === 'hyperband') {
      const hb = config.StrategyConfig?.HyperbandStrategyConfig;
      // Validated at create time: one of the two is there.
      const maxResource = hb?.MaxResource ?? inferMaxResource(statics)!;
      this.hyperband = { minResource: hb?.MinResource ?? 1, maxResource };
    }
  }

  /** Registers a child (in launch order), with the curve stored for it, if any. */
  register(child: string, curve: number[] = []): void {
    if (!this.histories.has(child)) this.histories.set(child, { name: child, values: [...curve] });
  }

  /** Records the child's curve so far; a stop decision when it should stop now. */
  observe(child: string, curve: number[]): StopDecision | undefined {
    this.register(child);
    const history = this.histories.get(child)!;
    history.values = [...curve];
    const epoch = curve.length;
    if (this.mode === 'off' || epoch === 0) return undefined;
    const all = [...this.histories.values()];
    if (this.mode === 'median') {
      const earlier = all.slice(0, all.indexOf(history));
      const d = medianStoppingDecision(history, epoch, earlier, this.direction);
      return d.stop ? d : undefined;
    }
    const d = hyperbandDecision(this.hyperband!, history, epoch, all.filter((h) => h !== history), this.direction);
    return d.stop ? d : undefined;
  }
}
