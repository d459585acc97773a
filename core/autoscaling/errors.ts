/**
 * A refusal by the auto-scaling rules, with the error code Application Auto Scaling (or
 * CloudWatch) answers for it. The core stays protocol-free: the emulator maps `code` to its wire
 * error at the service edge; the simulator reports `message` as a scenario error.
 */
export type AutoScalingErrorCode = 'ValidationException' | 'ObjectNotFoundException' | 'LimitExceededException' | 'ConcurrentUpdateException' | 'InvalidParameterValue' | 'ResourceNotFound';

export class AutoScalingError extends Error {
  constructor(
    readonly code: AutoScalingErrorCode,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

export const invalid = (message: string) => new AutoScalingError('ValidationException', message);
export const objectNotFound = (message: string) => new AutoScalingError('ObjectNotFoundException', message);
