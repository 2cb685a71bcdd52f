/**
 * What the routes answered on `node:http` directly do once their request is read and checked: a
 * signed check (`POST /v1/check`), a session opened (`POST /v1/sessions`) and closed
 * (`DELETE /v1/sessions/{id}`), a seat taken (`POST /v1/seats`) and given back
 * (`DELETE /v1/seats/{id}`), the status (`GET /v1/status`; the event stream has its own,
 * `event-stream.ts`). One function per route, called by the Fastify routes
 * (`licensing-routes.ts`, `session-routes.ts`: `inject`, OpenAPI, every request the raw listener
 * hands over) and by the raw listener (`hot-routes.ts`), so that both answer the same bytes.
 * Refusals are thrown as `LictorError`s.
 */
import type { CheckBody, SeatBody, SessionBody } from '@lictor/protocol/wire';
import { sessionRefOf } from '../answer-proofs.js';
import type { LictorRuntime } from '../runtime.js';
import { checkAnswerJson, sessionJson } from './answer-json.js';
import { seatJson, statusJson } from './wire-code.generated.js';

/**
 * `POST /v1/check`: the JSON text of the 200 answer. `session`: the header `lictor-session`
 * (checked against `RuntimeProofHeaders`), the application's answer session.
 */
export async function answerCheck(runtime: LictorRuntime, body: CheckBody, session?: string): Promise<string> {
  return checkAnswerJson(await runtime.check(body, sessionRefOf(session)));
}

/** `POST /v1/sessions`: the JSON text of the 201 answer (`session` as for {@link answerCheck}). */
export async function answerOpenSession(runtime: LictorRuntime, body: SessionBody, session?: string): Promise<string> {
  return sessionJson(await runtime.openSession(body, sessionRefOf(session)));
}

/** `DELETE /v1/sessions/{id}`: closed (204, no body). */
export function answerCloseSession(runtime: LictorRuntime, id: string): void {
  runtime.closeSession(id);
}

/** `POST /v1/seats`: the JSON text of the 201 answer (the seat, with the manager's proof). */
export async function answerAcquireSeat(runtime: LictorRuntime, body: SeatBody): Promise<string> {
  return seatJson(await runtime.acquireSeat(body));
}

/** `DELETE /v1/seats/{id}`: given back to its License Manager (204, no body). */
export function answerReleaseSeat(runtime: LictorRuntime, id: string): Promise<void> {
  return runtime.releaseSeat(id);
}

/** `GET /v1/status`: the JSON text of the 200 answer. */
export function answerStatus(runtime: LictorRuntime): string {
  return statusJson(runtime.status());
}
