/**
 * The one error handler: every failure leaves as `{code, message, details?}` with the status of
 * its code. Internals of unexpected errors are logged, never sent.
 */
import { ERRORS, type ErrorBody, type ErrorCode, LictorError } from '@lictor/protocol';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

interface Answer {
  status: number;
  body: ErrorBody & { code: ErrorCode };
}

/** Ajv's error as Fastify attaches it to a validation failure. */
interface ValidationIssue {
  instancePath: string;
  message?: string;
  keyword: string;
  params: Record<string, unknown>;
}

/** `/hardware/ramBytes` with a missing `x` → `hardware.ramBytes.x`. */
function fieldOf(issue: ValidationIssue): string {
  const parts = issue.instancePath.split('/').filter((p) => p !== '');
  if (issue.keyword === 'required' && typeof issue.params.missingProperty === 'string') {
    parts.push(issue.params.missingProperty);
  }
  if (issue.keyword === 'additionalProperties' && typeof issue.params.additionalProperty === 'string') {
    parts.push(issue.params.additionalProperty);
  }
  return parts.join('.');
}

function validationAnswer(error: FastifyError): Answer {
  const issue = (error.validation as ValidationIssue[] | undefined)?.[0];
  const location = error.validationContext ?? 'body';
  const field = issue === undefined ? '' : fieldOf(issue);
  const what = field === '' ? `the ${location}` : `field '${field}'`;
  const message = issue?.keyword === 'required' ? `${what} is required` : `${what} ${issue?.message ?? 'is invalid'}`;
  return {
    status: 400,
    body: { code: 'LICTOR_E_INVALID_INPUT', message, details: { field: field === '' ? location : field, location } },
  };
}

function answer(code: ErrorCode, message: string): Answer {
  return { status: ERRORS[code].status, body: { code, message } };
}

/** Maps any error to the answer the client gets. */
export function errorAnswer(error: unknown, bodyLimit: number): Answer {
  if (error instanceof LictorError) return { status: error.status, body: error.toJSON() };
  const e = error as FastifyError;
  if (e.validation !== undefined) return validationAnswer(e);
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return answer('LICTOR_E_PAYLOAD_TOO_LARGE', `the request body is larger than ${bodyLimit} bytes`);
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return answer('LICTOR_E_INVALID_INPUT', 'the request body is not valid JSON');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return answer('LICTOR_E_INVALID_INPUT', 'the request body is empty; send a JSON object');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return answer('LICTOR_E_INVALID_INPUT', 'send the request body as application/json');
  }
  // A JSON syntax error from the body parser, or another client error Fastify raised.
  if (e instanceof SyntaxError || (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500)) {
    if (e.statusCode === 413)
      return answer('LICTOR_E_PAYLOAD_TOO_LARGE', `the request body is larger than ${bodyLimit} bytes`);
    if (e.statusCode === 404) return answer('LICTOR_E_NOT_FOUND', 'no such resource');
    return answer(
      'LICTOR_E_INVALID_INPUT',
      e instanceof SyntaxError ? 'the request body is not valid JSON' : e.message,
    );
  }
  return answer('LICTOR_E_INTERNAL', 'internal error of the License Center; its log has the details');
}

/**
 * {@link errorAnswer}, logged: a failure (5xx) with the error itself, which never leaves; a
 * refusal with its code only.
 */
export function failureAnswer(request: FastifyRequest, error: unknown, bodyLimit: number): Answer {
  const answer = errorAnswer(error, bodyLimit);
  if (answer.status >= 500) request.log.error({ err: error }, 'request failed');
  else request.log.info({ code: answer.body.code }, 'request refused');
  return answer;
}

function pathOf(request: FastifyRequest): string {
  const q = request.url.indexOf('?');
  return q < 0 ? request.url : request.url.slice(0, q);
}

/** The `Retry-After` value of a `LICTOR_E_RATE_LIMITED` answer (its `details.retryAfterSeconds`), else undefined. */
export function retryAfterValue(body: ErrorBody): string | undefined {
  const retry = body.details?.retryAfterSeconds;
  return body.code === 'LICTOR_E_RATE_LIMITED' && typeof retry === 'number' ? String(retry) : undefined;
}

/** Sets `Retry-After` on a `LICTOR_E_RATE_LIMITED` answer, from its `details.retryAfterSeconds`. */
export function retryAfter(reply: FastifyReply, body: ErrorBody): void {
  const retry = retryAfterValue(body);
  if (retry !== undefined) reply.header('retry-after', retry);
}

/** Installs the error and not-found handlers on the root instance (inherited by every plugin). */
export function installErrorHandling(app: FastifyInstance, bodyLimit: number): void {
  app.setErrorHandler((error, request, reply) => {
    const { status, body } = failureAnswer(request, error, bodyLimit);
    retryAfter(reply, body);
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      code: 'LICTOR_E_NOT_FOUND',
      message: `no route ${request.method} ${pathOf(request)}; GET /openapi.json lists the routes`,
    } satisfies ErrorBody),
  );
}
