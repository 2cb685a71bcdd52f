/** Reading activations for the vendor. */
import { normalizeSerial } from '@lictor/protocol';
import { fromJson } from '../store/json-column.js';
import type { CenterContext } from './context.js';
import { boundedLimit } from './input.js';
import type { ActivationFilter, ActivationView } from './types.js';

/** Activations, newest first, optionally of one serial. */
export async function listActivations(ctx: CenterContext, filter: ActivationFilter = {}): Promise<ActivationView[]> {
  let query = ctx.db
    .selectFrom('activations')
    .selectAll()
    // Activation ids are time-ordered: newest first without an index on created_at.
    .orderBy('id', 'desc')
    .limit(boundedLimit(filter.limit, 100, 'limit'));
  if (filter.serial !== undefined) query = query.where('serial', '=', normalizeSerial(filter.serial));
  const rows = await query.execute();
  return rows.map((r) => ({
    id: r.id,
    serial: r.serial,
    pinIndex: r.pin_idx,
    containerId: r.container_id,
    owner: fromJson(r.owner),
    hardware: fromJson(r.hardware),
    subject: r.subject,
    channel: r.channel,
    requestNonce: r.request_nonce,
    status: r.status,
    licenseKind: r.license_kind,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    retiredAt: r.retired_at,
    retiredReason: r.retired_reason,
    clientIp: r.client_ip,
    containerKeys: r.container_keys === null ? null : fromJson(r.container_keys),
    counter: r.counter,
    tokenKey: r.token_key,
  }));
}
