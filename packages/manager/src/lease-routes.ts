/**
 * What the three hot lease routes do once their request is read and checked: acquire
 * (`POST /v1/leases`), heartbeat (`POST /v1/leases/:id/heartbeat`) and release
 * (`DELETE /v1/leases/:id`). One implementation, called by the Fastify routes (`http.ts`:
 * `inject`, OpenAPI, and every request the raw listener hands over) and by the raw listener
 * (`hot-routes.ts`), so that both answer alike. Refusals are thrown as `LictorError`s.
 */
import type { RouteLog } from '@lictor/http-service';
import { LictorError } from '@lictor/protocol';
import type { AcquireBody, ProofHeaders } from '@lictor/protocol/wire';
import { acquireCanonicalJson, acquireJson, heartbeatCanonicalJson, heartbeatJson } from './answer-json.js';
import type { LicenseManager } from './manager.js';
import { proofRequest, type SeatProofs } from './seat-proofs.js';

/** The manager and the keys proving its answers, as the lease routes use them. */
export interface LeaseRoutesContext {
  manager: LicenseManager;
  proofs: SeatProofs;
}

/** The refusal of a heartbeat or release of a lease that is not held. */
export function leaseUnknown(id: string): LictorError {
  return new LictorError(
    'LICTOR_E_LEASE_UNKNOWN',
    `lease '${id}' is unknown: it expired, was released, or never existed; acquire a seat again`,
  );
}

/**
 * `POST /v1/leases`: 201 with a new lease (logged once, "lease granted"), 200 with the lease the
 * client already holds; `address` is the socket's remote address (never one the client sent).
 * The answer is JSON text (`answer-json.ts`).
 */
export function acquireLease(
  { manager, proofs }: LeaseRoutesContext,
  body: AcquireBody,
  headers: ProofHeaders,
  address: string | undefined,
  log: RouteLog,
): { status: 200 | 201; json: string } {
  const { nonce, session } = proofRequest(headers);
  // Access rules judge the address seen on the socket, never one the client could send.
  // Node forgets it once the socket closes: no address, no seat (address rules must not be skipped).
  if (typeof address !== 'string' || address === '') {
    throw new LictorError('LICTOR_E_ACCESS_DENIED', 'the connection closed before its address was known; try again');
  }
  const result = manager.acquire({ ...body, address });
  if (result.kind === 'granted' || result.kind === 'renewed') {
    const renewed = result.kind === 'renewed';
    if (!renewed) log.info({ leaseId: result.lease.id, product: body.product }, 'lease granted');
    const answer = { lease: manager.leaseBody(result.lease), renewed };
    return {
      status: renewed ? 200 : 201,
      json: proofs.signJson('lease', result.lease, nonce, answer, session, acquireJson, acquireCanonicalJson),
    };
  }
  switch (result.kind) {
    case 'exhausted':
      if (result.limit !== undefined) {
        throw new LictorError('LICTOR_E_SEATS_EXHAUSTED', result.limit.reason, {
          inUse: result.inUse,
          total: result.total,
          rule: result.limit.rule,
        });
      }
      throw new LictorError(
        'LICTOR_E_SEATS_EXHAUSTED',
        `all ${result.total} seat(s) for '${body.product}' are in use; try again later`,
        { inUse: result.inUse, total: result.total },
      );
    case 'not-licensed':
      throw new LictorError('LICTOR_E_NOT_LICENSED', result.reason);
    case 'expired':
      throw new LictorError('LICTOR_E_LICENSE_EXPIRED', result.reason);
    case 'denied':
      throw new LictorError('LICTOR_E_ACCESS_DENIED', result.reason, { rules: result.rules });
    case 'revoked':
      throw new LictorError('LICTOR_E_LEASE_REVOKED', result.reason, {
        until: new Date(result.until).toISOString(),
      });
    case 'server-elsewhere':
      throw serverInUse(result);
  }
}

/** The refusal of a session of a session-limited server license that serves a server elsewhere. */
export function serverInUse(result: { reason: string; holder: { host: string; address?: string } }): LictorError {
  return new LictorError('LICTOR_E_SERVER_IN_USE', result.reason, { holder: result.holder });
}

/** `POST /v1/leases/:id/heartbeat`: 200 with the lease kept alive, as JSON text. */
export function heartbeatLease({ manager, proofs }: LeaseRoutesContext, id: string, headers: ProofHeaders): string {
  const { nonce, session } = proofRequest(headers);
  const result = manager.heartbeat(id);
  if (result.kind !== 'renewed') throw leaseUnknown(id);
  return proofs.signJson(
    'heartbeat',
    result.lease,
    nonce,
    { lease: manager.leaseBody(result.lease) },
    session,
    heartbeatJson,
    heartbeatCanonicalJson,
  );
}

/** `DELETE /v1/leases/:id`: the seat back (204). */
export function releaseLease({ manager }: LeaseRoutesContext, id: string): void {
  if (!manager.release(id)) throw leaseUnknown(id);
}
