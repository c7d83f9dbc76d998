import { DomainError } from '../../domain/shared/domain-error.js';
import { ApiError, notFound } from './api-error.js';

/** The conversation named in the path is the offending field, whatever the domain calls it. */
export async function asRouteError<T>(run: () => Promise<T>, field: string): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (DomainError.isInstance(error) && error.code === 'TESSERA_CONVERSATION_NOT_FOUND') {
      // Exactly what a GET of a missing (or another tenant's) conversation answers.
      throw notFound('the conversation', field);
    }
    if (DomainError.isInstance(error) && error.code.startsWith('TESSERA_CONVERSATION_')) {
      throw new ApiError(409, error.code, error.message, field);
    }
    throw error;
  }
}
