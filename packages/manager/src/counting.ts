/**
 * Counting units: what one seat of each license type stands for, and the keys that say when
 * two clients occupy the same seat or are the same client asking again.
 */

import type { ClientIdentity, CountingUnit, Lease, PoolLicenseType } from './types.js';

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

/**
 * The seat a client occupies in a license counting `unit`: equal keys share one seat.
 *
 * Every key starts with `address`, the client's address as the manager saw it on the socket
 * (never a value the client sent; `undefined` for in-process callers): a client chooses its
 * declared names alone, so names alone would let fifty computers that all call themselves
 * `host-0` share one per-computer seat. A computer is then an address and a host name: clients
 * behind one NAT address are told apart by their names (see the per-address cap), the sessions
 * of a terminal server are one computer, and a computer reaching the manager from two addresses
 * (several network cards) holds a seat per address it uses (docs/manager-protocol.md, Counting).
 */
export function seatKeyOf(unit: CountingUnit, client: ClientIdentity, address: string | undefined): string {
  const at = address ?? '';
  switch (unit) {
    case 'computer':
      return computerKeyOf(client, address);
    case 'session':
      return joinKey([at, client.host, client.session]);
    case 'application':
      return joinKey([at, client.host, client.user, client.process, client.session]);
  }
}

/**
 * The computer a client runs on, as the manager tells computers apart: its address with its
 * declared host name (the `computer` seat key of {@link seatKeyOf}).
 */
export function computerKeyOf(client: Pick<ClientIdentity, 'host'>, address: string | undefined): string {
  return joinKey([address ?? '', client.host]);
}

/** A copy of a client identity with exactly its four fields (a caller's object may carry more, or change). */
export function copyClient(c: Readonly<ClientIdentity>): ClientIdentity {
  return { host: c.host, user: c.user, process: c.process, session: c.session };
}

/**
 * The pool a client asks in and who asks: one client holds at most one lease per key, and
 * asking again with the same key renews that lease instead of taking a second seat. The
 * socket's `address` is part of it: a client elsewhere that copies another's identity gets a
 * lease (and a seat) of its own, never a share of the other's.
 */
export function identityKeyOf(
  product: string,
  feature: string | null,
  client: ClientIdentity,
  address: string | undefined,
): string {
  const f = feature === null ? '-' : `+${feature.length}:${feature}`;
  const { host, user, process, session } = client;
  const at = address ?? '';
  return `${at.length}:${at}${product.length}:${product}${f}${host.length}:${host}${user.length}:${user}${process.length}:${process}${session.length}:${session}`;
}

/**
 * The seat a borrowed seat holds: its computer (the machine tag the borrower sent), whatever
 * the license counts. `!` never starts a {@link seatKeyOf} key (those start with a digit), so a
 * borrowed seat is a seat of its own, apart from the leases of the same computer.
 */
export function borrowSeatKeyOf(machine: string): string {
  return `!${machine}`;
}

/** One computer holds at most one borrowed seat per product and feature; `!` keeps these apart from {@link identityKeyOf}'s. */
export function borrowIdentityKeyOf(product: string, feature: string | null, machine: string): string {
  const f = feature === null ? '-' : `+${feature.length}:${feature}`;
  return `!${product.length}:${product}${f}${machine}`;
}

/** The seat `lease` holds in its license (see {@link seatKeyOf}, {@link borrowSeatKeyOf}). */
export function leaseSeatKeyOf(lease: Lease): string {
  return lease.borrow === undefined
    ? seatKeyOf(lease.countedAs, lease.client, lease.address)
    : borrowSeatKeyOf(lease.borrow.computer.machine);
}
