import { z } from 'zod';

/** RFC 9457 problem details, with Tessera's stable code and the offending fields. */
export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  instance: z.string().optional(),
  code: z.string().describe('Stable error code, e.g. TESSERA_INVALID_REQUEST'),
  errors: z
    .array(z.object({ field: z.string(), message: z.string() }))
    .describe('One entry per offending field, as `body.message`, `params.id`, `headers.idempotency-key`'),
  error: z
    .object({ message: z.string(), type: z.string(), code: z.string(), param: z.string().nullable() })
    .describe('The same problem in the shape OpenAI clients read, so their SDKs raise typed errors with the message'),
});

export type Problem = z.infer<typeof problemSchema>;

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** Where OpenAI has a code of its own for the same refusal, clients match on it (`context_length_exceeded` above all). */
const OPENAI_CODES: Record<string, string> = {
  TESSERA_MODEL_NOT_FOUND: 'model_not_found',
  TESSERA_MODEL_CONTEXT_OVERFLOW: 'context_length_exceeded',
  TESSERA_UNAUTHORIZED: 'invalid_api_key',
  TESSERA_UNKNOWN_API_KEY: 'invalid_api_key',
  TESSERA_API_KEY_REVOKED: 'invalid_api_key',
  TESSERA_MODEL_RATE_LIMITED: 'rate_limit_exceeded',
  TESSERA_KEY_REQUEST_LIMIT_EXCEEDED: 'rate_limit_exceeded',
  TESSERA_KEY_TOKEN_LIMIT_EXCEEDED: 'rate_limit_exceeded',
  TESSERA_TENANT_REQUEST_LIMIT_EXCEEDED: 'rate_limit_exceeded',
  TESSERA_TENANT_TOKEN_LIMIT_EXCEEDED: 'rate_limit_exceeded',
  TESSERA_BUDGET_EXHAUSTED: 'insufficient_quota',
};

export function problem(
  status: number,
  code: string,
  detail: string,
  errors: Problem['errors'] = [],
  instance?: string,
): Problem {
  const name = code.toLowerCase().replace(/^tessera_/, '');
  const field = errors[0]?.field;
  return {
    type: `https://tessera.dev/problems/${name.replaceAll('_', '-')}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    instance,
    code,
    errors,
    error: {
      message: detail,
      type: status >= 500 ? 'server_error' : 'invalid_request_error',
      code: OPENAI_CODES[code] ?? name,
      // OpenAI names a body member as it is (`messages.0.content`); a header or path parameter keeps its prefix.
      param: field?.replace(/^body\./, '') ?? null,
    },
  };
}
