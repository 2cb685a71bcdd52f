/**
 * The event log's observer of the lease service: grants, releases, expiries, refusals and the
 * rest are listed in the ring; renewals (an acquire of a held lease, a heartbeat) are counted.
 * An event names the lease's client object as it is (a lease's client never changes; the log
 * copies it when the event is read).
 */

import type { EventLog } from './event-log.js';
import type { LeaseChange, LeaseServiceObserver } from './lease-service.js';

/** The event log's view of a lease change: renewals are counted, everything else is listed. */
export function recordLeaseChange(log: EventLog, change: LeaseChange): void {
  switch (change.kind) {
    case 'granted':
      log.record({
        kind: 'granted',
        leaseId: change.lease.id,
        product: change.lease.product,
        client: change.lease.client,
      });
      break;
    case 'renewed':
      log.countRenewal(change.via);
      break;
    case 'released': {
      const { lease } = change;
      log.record({
        kind: 'released',
        leaseId: lease.id,
        product: lease.product,
        client: lease.client,
        detail: change.by,
      });
      break;
    }
    case 'expired': {
      const { lease } = change;
      log.record({
        kind: 'expired',
        leaseId: change.leaseId,
        ...(lease === undefined ? {} : { product: lease.product, client: lease.client }),
        detail: change.detail,
      });
      break;
    }
    case 'refused':
      log.record({
        kind: 'refused',
        product: change.product,
        client: change.client,
        detail: change.detail,
      });
      break;
    case 'licenses-changed':
      log.record({ kind: 'licenses-changed', detail: `${change.count} license(s) served` });
      break;
    case 'borrowed': {
      const { lease } = change;
      log.record({
        kind: 'borrowed',
        leaseId: lease.id,
        product: lease.product,
        client: lease.client,
        detail: `lent for offline use until ${new Date(lease.expiresAt).toISOString()}`,
      });
      break;
    }
    case 'returned': {
      const { lease } = change;
      log.record({
        kind: 'returned',
        leaseId: lease.id,
        product: lease.product,
        client: lease.client,
        detail: change.by,
      });
      break;
    }
  }
}

/** The observer that records every change of a lease service in `log` ({@link recordLeaseChange}). */
export function eventLogObserver(log: EventLog): LeaseServiceObserver {
  return (change) => recordLeaseChange(log, change);
}
