/**
 * Base of every error Tessera raises on purpose. The stable `code` is what clients
 * match on; `field` names the offending input when there is one.
 */
export class DomainError extends Error {
  private readonly tesseraError = true;

  constructor(
    readonly code: `TESSERA_${string}`,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }

  static isInstance(error: unknown): error is DomainError {
    return typeof error === 'object' && error !== null && (error as { tesseraError?: unknown }).tesseraError === true;
  }
}
