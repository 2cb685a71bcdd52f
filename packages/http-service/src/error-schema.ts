/** The JSON schema of every error answer (`{ code, message, details? }`), shared by every Lictor HTTP service. */

/** `$ref` to the shared error body, registered by each service. */
export const ERROR_REF = { $ref: 'ErrorBody#' } as const;

/** The body of every error answer. */
export const errorBodySchema = {
  $id: 'ErrorBody',
  type: 'object',
  description: 'Every error answer: a stable code, what happened and what to do, structured details.',
  required: ['code', 'message'],
  properties: {
    code: { type: 'string', description: 'Stable LICTOR_E_* code' },
    message: { type: 'string' },
    details: { type: 'object', additionalProperties: true },
  },
} as const;

/** Error answers for the given statuses. */
export function errorResponses(...statuses: number[]): Record<string, typeof ERROR_REF> {
  const out: Record<string, typeof ERROR_REF> = { 500: ERROR_REF };
  for (const s of statuses) out[String(s)] = ERROR_REF;
  return out;
}
