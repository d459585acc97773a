/**
 * One error type for every protocol. Service logic throws AwsError with the wire code and HTTP
 * status AWS uses; each protocol serializer decides how the code travels (JSON `__type`, XML
 * `<Code>`, the `x-amzn-errortype` header, ...).
 */
export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    /** Extra members serialized beside the message (e.g. ModelError's OriginalStatusCode). */
    readonly extra: Record<string, unknown> = {},
    /** Extra HTTP headers (e.g. S3's x-amz-request-id is added by the serializer). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = code;
  }
}

export const validation = (message: string) => new AwsError('ValidationException', message);
export const resourceInUse = (message: string) => new AwsError('ResourceInUse', message);
export const resourceNotFound = (message: string) => new AwsError('ResourceNotFound', message);
export const resourceLimitExceeded = (message: string) =>
  new AwsError('ResourceLimitExceeded', message);
