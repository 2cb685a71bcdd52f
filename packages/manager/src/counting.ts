/**
 * Counting units: what one seat of each license type stands for, and the keys that say when
 * two clients occupy the same seat or are the same client asking again.
 */

import type { ClientIdentity, CountingUnit, PoolLicenseType } from './types.js';

/**
 * What one seat of a license type counts: `multi` counts client applications, `single` and
 * `server` count computers (any number of applications or worker processes on one host),
 * `server-sessions` counts sessions (each host and session).
 */
export function countingUnitOf(type: PoolLicenseType): CountingUnit {
  switch (type) {
    case 'multi':
      return 'application';
    case 'server-sessions':
      return 'session';
    case 'single':
    case 'server':
      return 'computer';
  }
}

/** Length-prefixed join: no choice of field contents makes two different tuples collide. */
function joinKey(parts: readonly string[]): string {
  let key = '';
  for (const part of parts) key += `${part.length}:${part}`;
  return key;
}

/** The seat a client occupies in a license counting `unit`: equal keys share one seat. */
export function seatKeyOf(unit: CountingUnit, client: ClientIdentity): string {
  switch (unit) {
    case 'computer':
      return client.host;
    case 'session':
      return joinKey([client.host, client.session]);
    case 'application':
      return joinKey([client.host, client.user, client.process, client.session]);
  }
}

/** A copy of a client identity with exactly its four fields (a caller's object may carry more, or change). */
export function copyClient(c: Readonly<ClientIdentity>): ClientIdentity {
  return { host: c.host, user: c.user, process: c.process, session: c.session };
}

/**
 * The pool a client asks in and who asks: one client holds at most one lease per key, and
 * asking again with the same key renews that lease instead of taking a second seat.
 */
export function identityKeyOf(product: string, feature: string | null, client: ClientIdentity): string {
  const f = feature === null ? '-' : `+${feature.length}:${feature}`;
  const { host, user, process, session } = client;
  return `${product.length}:${product}${f}${host.length}:${host}${user.length}:${user}${process.length}:${process}${session.length}:${session}`;
}
