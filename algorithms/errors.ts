/** A client error (bad hyperparameter, bad data, missing channel); the job fails with `ClientError: <message>`. */
export class AlgorithmError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AlgorithmError';
  }
}

/** A malformed inference payload; upstream it becomes ModelError 424 with OriginalStatusCode 400. */
export class InferenceInputError extends Error {
  originalStatus = 400;
  constructor(message: string) {
    super(message);
    this.name = 'InferenceInputError';
  }
}

/** Unsupported Content-Type (415) or Accept (406); upstream also ModelError 424. */
export class UnsupportedMediaError extends Error {
  originalStatus: 415 | 406;
  constructor(message: string, originalStatus: 415 | 406) {
    super(message);
    this.name = 'UnsupportedMediaError';
    this.originalStatus = originalStatus;
  }
}
