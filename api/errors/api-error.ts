import { DomainError } from '../../domain/shared/domain-error.js';

/** An error raised by the API layer itself: it knows its HTTP status. */
export class ApiError extends DomainError {
  constructor(
    readonly status: number,
    code: `TESSERA_${string}`,
    message: string,
    field?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(code, message, field);
  }
}

export const notFound = (what: string, field?: string) => new ApiError(404, 'TESSERA_NOT_FOUND', `${what} was not found`, field);

export const modelNotFound = (model: string, field: string) =>
  new ApiError(404, 'TESSERA_MODEL_NOT_FOUND', `model "${model}" is not configured; GET /v1/models lists them`, field);

export const unauthorized = (message: string) =>
  new ApiError(401, 'TESSERA_UNAUTHORIZED', message, 'headers.authorization', { 'www-authenticate': 'Bearer' });
