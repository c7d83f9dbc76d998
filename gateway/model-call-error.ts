/** Why a model call failed, in terms the gateway decides on (retry, fall back, give up). */
export type ModelCallErrorKind =
  | 'rate-limited'
  | 'server'
  | 'timeout'
  | 'disconnected'
  | 'bad-request'
  | 'authentication'
  | 'context-overflow'
  | 'content-filter'
  | 'aborted';

const RETRYABLE: ReadonlySet<ModelCallErrorKind> = new Set(['rate-limited', 'server', 'timeout', 'disconnected']);

export class ModelCallError extends Error {
  private readonly tesseraModelCallError = true;

  constructor(
    readonly kind: ModelCallErrorKind,
    message: string,
    readonly details: {
      status?: number;
      /** From `retry-after-ms` or `Retry-After`. */
      retryAfterMs?: number;
      /** Output received before the failure (a stream cut mid-answer). */
      partialText?: string;
      provider?: string;
      modelId?: string;
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: details.cause });
    this.name = 'ModelCallError';
  }

  get retryable(): boolean {
    return RETRYABLE.has(this.kind);
  }

  /** The error itself when it is one; anything else as a server error with its message. */
  static from(error: unknown): ModelCallError {
    return ModelCallError.isInstance(error) ? error : new ModelCallError('server', error instanceof Error ? error.message : String(error));
  }

  static isInstance(error: unknown): error is ModelCallError {
    return typeof error === 'object' && error !== null && (error as { tesseraModelCallError?: unknown }).tesseraModelCallError === true;
  }
}
