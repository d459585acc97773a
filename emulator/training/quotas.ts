import { AwsError } from '../protocol/errors.js';

/**
 * Account-level instance quotas, as Service Quotas applies them to SageMaker: per account and
 * region, each instance type has a limit on the instances all of its running training jobs hold
 * together ("ml.m5.large for training job usage"). A request that would pass it is refused with
 * ResourceLimitExceeded, in AWS's wording, before anything starts.
 *
 * Real accounts get per-type defaults that vary by type, region and account age (some are 0);
 * localsage applies one limit to every type: LOCALSAGE_TRAINING_INSTANCE_QUOTA, default 20.
 * Besides fidelity, the quota is what keeps a request from asking the process for 2^31 workers.
 */
export class InstanceQuotas {
  private readonly inUse = new Map<string, number>();

  constructor(
    readonly limit: number = defaultTrainingInstanceQuota(),
    private readonly usage = 'training job usage',
  ) {}

  /**
   * Reserves `count` instances of `instanceType` for one job, or throws ResourceLimitExceeded.
   * Returns the release function (safe to call more than once).
   */
  reserve(account: string, region: string, instanceType: string, count: number): () => void {
    const key = `${account}/${region}/${instanceType}`;
    const current = this.inUse.get(key) ?? 0;
    if (current + count > this.limit) {
      throw new AwsError(
        'ResourceLimitExceeded',
        `The account-level service limit '${instanceType} for ${this.usage}' is ${this.limit} Instances, with current utilization of ${current} Instances and a request delta of ${count} Instances. Please use AWS Service Quotas to request an increase for this quota. If AWS Service Quotas is not available, contact AWS support to request an increase for this quota.`,
      );
    }
    this.inUse.set(key, current + count);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.inUse.get(key) ?? count) - count;
      if (left > 0) this.inUse.set(key, left);
      else this.inUse.delete(key);
    };
  }
}

export function defaultTrainingInstanceQuota(): number {
  const fromEnv = Number(process.env.LOCALSAGE_TRAINING_INSTANCE_QUOTA);
  return Number.isInteger(fromEnv) && fromEnv >= 0 && process.env.LOCALSAGE_TRAINING_INSTANCE_QUOTA !== '' ? fromEnv : 20;
}
