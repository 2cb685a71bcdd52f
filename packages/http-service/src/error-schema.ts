/** The JSON schema of every error answer (`{ code, message, details? }`), shared by every Lictor HTTP service. */
import { ErrorBody } from '@lictor/protocol/wire';

/** `$ref` to the shared error body, registered by each service. */
export const ERROR_REF = { $ref: 'ErrorBody#' } as const;

/** The body of every error answer, as the shared schema `ErrorBody` (a named component in OpenAPI). */
export const errorBodySchema = { ...ErrorBody, $id: 'ErrorBody' } as const;

/** Error answers for the given statuses. */
export function errorResponses(...statuses: number[]): Record<string, typeof ERROR_REF> {
  const out: Record<string, typeof ERROR_REF> = { 500: ERROR_REF };
  for (const s of statuses) out[String(s)] = ERROR_REF;
  return out;
}
