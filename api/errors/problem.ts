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
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export function problem(
  status: number,
  code: string,
  detail: string,
  errors: Problem['errors'] = [],
  instance?: string,
): Problem {
  const slug = code.toLowerCase().replace(/^tessera_/, '').replaceAll('_', '-');
  return {
    type: `https://tessera.dev/problems/${slug}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    instance,
    code,
    errors,
    error: { message: detail, type: status >= 500 ? 'server_error' : 'invalid_request_error', code: slug, param: errors[0]?.field ?? null },
  };
}
