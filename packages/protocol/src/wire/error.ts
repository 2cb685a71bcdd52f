/** The error answer shared by every Lictor HTTP service. */
import { type Static, Type } from 'typebox';

/** The body of every error answer of Lictor's HTTP services: `{ code, message, details? }`. */
export const ErrorBody = Type.Object(
  {
    code: Type.String({ description: 'Stable LICTOR_E_* code' }),
    message: Type.String(),
    details: Type.Optional(Type.Unsafe<Record<string, unknown>>({ type: 'object', additionalProperties: true })),
  },
  { description: 'Every error answer: a stable code, what happened and what to do, structured details.' },
);
/** The body of every error answer of Lictor's HTTP services. */
export type ErrorBody = Static<typeof ErrorBody>;
