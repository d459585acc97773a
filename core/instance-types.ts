/**
 * Instance type profiles. Prices are approximate us-east-1 on-demand hourly prices for SageMaker
 * real-time inference at the time of writing; they differ by region and change, so a scenario can
 * override any field or add types under `instanceTypes:`.
 */
export interface InstanceProfile {
  name: string;
  vcpu: number;
  memoryGiB: number;
  pricePerHour: number;
  accelerator?: string;
}

export const INSTANCE_TYPES: Record<string, InstanceProfile> = {
  'ml.t2.medium': { name: 'ml.t2.medium', vcpu: 2, memoryGiB: 4, pricePerHour: 0.056 },
  'ml.m4.xlarge': { name: 'ml.m4.xlarge', vcpu: 4, memoryGiB: 16, pricePerHour: 0.28 },
  'ml.m5.large': { name: 'ml.m5.large', vcpu: 2, memoryGiB: 8, pricePerHour: 0.115 },
  'ml.m5.xlarge': { name: 'ml.m5.xlarge', vcpu: 4, memoryGiB: 16, pricePerHour: 0.23 },
  'ml.m5.2xlarge': { name: 'ml.m5.2xlarge', vcpu: 8, memoryGiB: 32, pricePerHour: 0.461 },
  'ml.c4.xlarge': { name: 'ml.c4.xlarge', vcpu: 4, memoryGiB: 7.5, pricePerHour: 0.279 },
  'ml.c5.xlarge': { name: 'ml.c5.xlarge', vcpu: 4, memoryGiB: 8, pricePerHour: 0.204 },
  'ml.c5.2xlarge': { name: 'ml.c5.2xlarge', vcpu: 8, memoryGiB: 16, pricePerHour: 0.408 },
  'ml.p3.2xlarge': { name: 'ml.p3.2xlarge', vcpu: 8, memoryGiB: 61, pricePerHour: 3.825, accelerator: '1 x NVIDIA V100' },
  'ml.g4dn.xlarge': { name: 'ml.g4dn.xlarge', vcpu: 4, memoryGiB: 16, pricePerHour: 0.736, accelerator: '1 x NVIDIA T4' },
};
