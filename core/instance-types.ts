/**
 * Instance type profiles, shared by the simulator (scenario defaults) and the emulator's capacity
 * mode (`--capacity-mode`), which read the same numbers.
 *
 * - pricePerHour: approximate us-east-1 on-demand hourly prices for SageMaker real-time inference
 *   at the time of writing; they differ by region and change.
 * - modelServerWorkers: how many requests one instance serves at once. SageMaker's built-in
 *   algorithm and framework containers serve through Multi Model Server / TorchServe, whose
 *   default is one worker per vCPU on CPU instances and one per GPU on GPU instances
 *   (`default_workers_per_model`, documented with MMS and TorchServe's config.properties).
 * - serviceTimeMs: a default service time for one request on one worker: a small model (linear
 *   learner / XGBoost on one tabular row) spends a few milliseconds in the container, most of it
 *   in the model server's request handling. A stand-in where a scenario or user gives none; GPU
 *   instances are given the same figure because a small model does not benefit from the GPU.
 *
 * A scenario can override any field or add types under `instanceTypes:`.
 */
export interface InstanceProfile {
  name: string;
  vcpu: number;
  memoryGiB: number;
  pricePerHour: number;
  accelerator?: string;
  modelServerWorkers: number;
  serviceTimeMs: number;
}

const cpu = (name: string, vcpu: number, memoryGiB: number, pricePerHour: number): InstanceProfile => ({
  name,
  vcpu,
  memoryGiB,
  pricePerHour,
  modelServerWorkers: vcpu,
  serviceTimeMs: 5,
});

const gpu = (name: string, vcpu: number, memoryGiB: number, pricePerHour: number, accelerator: string, gpus: number): InstanceProfile => ({
  name,
  vcpu,
  memoryGiB,
  pricePerHour,
  accelerator,
  modelServerWorkers: gpus,
  serviceTimeMs: 5,
});

export const INSTANCE_TYPES: Record<string, InstanceProfile> = {
  'ml.t2.medium': cpu('ml.t2.medium', 2, 4, 0.056),
  'ml.m4.xlarge': cpu('ml.m4.xlarge', 4, 16, 0.28),
  'ml.m5.large': cpu('ml.m5.large', 2, 8, 0.115),
  'ml.m5.xlarge': cpu('ml.m5.xlarge', 4, 16, 0.23),
  'ml.m5.2xlarge': cpu('ml.m5.2xlarge', 8, 32, 0.461),
  'ml.c4.xlarge': cpu('ml.c4.xlarge', 4, 7.5, 0.279),
  'ml.c5.xlarge': cpu('ml.c5.xlarge', 4, 8, 0.204),
  'ml.c5.2xlarge': cpu('ml.c5.2xlarge', 8, 16, 0.408),
  'ml.p3.2xlarge': gpu('ml.p3.2xlarge', 8, 61, 3.825, '1 x NVIDIA V100', 1),
  'ml.g4dn.xlarge': gpu('ml.g4dn.xlarge', 4, 16, 0.736, '1 x NVIDIA T4', 1),
};

/** The profile of an instance type; an unknown type is served like one vCPU-worker per 2 vCPUs of an ml.m5.large. */
export function instanceProfile(type: string | undefined): InstanceProfile {
  return (type && INSTANCE_TYPES[type]) || { ...INSTANCE_TYPES['ml.m5.large'], name: type ?? 'ml.m5.large' };
}
