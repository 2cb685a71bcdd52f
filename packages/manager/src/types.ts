/**
 * The values a {@link LeasePool} takes and gives back: licenses it serves, the leases it hands
 * out, and the typed outcomes of each operation. Plain data only, so every value can be
 * written as JSON.
 */

import type { BorrowComputer, ClientIdentity, FeatureUsage, LicenseSource, LicenseUsage } from '@lictor/protocol';

// Shared with the wire: declared once in protocol's `wire/manager.ts`.
export type { BorrowComputer, ClientIdentity, FeatureUsage, LicenseSource, LicenseUsage };

/** The license types a License Manager serves (an issued license entry's type). */
export type PoolLicenseType = 'single' | 'multi' | 'server' | 'server-sessions';

/** A component of a product inside a pool license. */
export interface PoolFeature {
  code: string;
  /** Its own pool of seats within the license, or `null` when only the product seat counts. */
  users: number | null;
}

/** One license the manager serves. Several licenses for the same product add up. */
export interface PoolLicense {
  /** Stable identifier (e.g. container id + entry index); leases record it. */
  id: string;
  /** The package serial the customer holds (shown to administrators), when the license has one. */
  serial?: string;
  product: string;
  type: PoolLicenseType;
  /**
   * Seats in the license's counting unit: applications for `multi`, sessions for
   * `server-sessions`, computers for `single` and `server` (normally 1).
   */
  seats: number;
  features: PoolFeature[];
  /** Epoch milliseconds after which the license is expired, or `null` for perpetual. */
  expiresAt: number | null;
  source: LicenseSource;
  /**
   * The license's grace period in ms (`graceMinutes` of the license): its leases live this long
   * without a heartbeat when that is longer than the pool's TTL. Absent: the pool's TTL.
   */
  graceMs?: number;
  /** The most days a seat of the license may be borrowed (`borrowDays` of the license); absent: none. */
  borrowDays?: number;
}

/** What one seat of a license stands for; see `countingUnitOf`. */
export type CountingUnit = 'computer' | 'session' | 'application';

/** A seat held by one client. The pool owns it: treat it as read-only. */
export interface Lease {
  readonly id: string;
  readonly product: string;
  /** The feature the lease was taken for, or `null` for the product alone. */
  readonly feature: string | null;
  /** The license the seat was taken from. */
  readonly licenseId: string;
  readonly source: LicenseSource;
  /** The unit the license counted when the lease was granted. */
  readonly countedAs: CountingUnit;
  readonly client: Readonly<ClientIdentity>;
  /** Epoch milliseconds. */
  readonly grantedAt: number;
  /** Epoch milliseconds of the last grant, renewal or heartbeat. */
  readonly heartbeatAt: number;
  /** Epoch milliseconds after which the lease lapses without a heartbeat. */
  readonly expiresAt: number;
  /** The client's socket address when the lease was granted, if known (access rules use it). */
  readonly address?: string;
  /** The license's grace period (ms) when the lease was last renewed, when longer than the pool's TTL. */
  readonly graceMs?: number;
  /** Set when the seat is borrowed for offline use: it needs no heartbeat and ends at `until`. */
  readonly borrow?: BorrowTerms;
}

/** What a borrowed seat holds besides a lease's fields. */
export interface BorrowTerms {
  /** Epoch milliseconds the seat returns by itself (also the lease's `expiresAt`). */
  readonly until: number;
  /** The computer it is lent to. */
  readonly computer: Readonly<BorrowComputer>;
  /** SHA-256 of the secret that gives it back early, base64url (`borrowReturnKey`). */
  readonly returnKey: string;
  /** The serial of the license it comes from, when the license has one. */
  readonly serial?: string;
}

/** A request for a seat lent to one computer for offline use. */
export interface BorrowSeatRequest {
  product: string;
  feature?: string;
  /** Days to lend it for; at most the license's `borrowDays`. */
  days: number;
  client: ClientIdentity;
  computer: BorrowComputer;
  /** `borrowReturnKey` of the borrower's return secret. */
  returnKey: string;
  /** The client's address as the manager saw it on the socket. */
  address?: string;
}

/** A request for a seat of `product` (and of `feature`, when given). */
export interface AcquireRequest {
  product: string;
  feature?: string;
  client: ClientIdentity;
  /** The lease the client believes it holds (after a reconnect); ignored if it is not theirs. */
  leaseId?: string;
  /** The client's address as the manager saw it on the socket (never a value the client sent). */
  address?: string;
}

/** An access rule named by a refusal: its line in the rules file and its text. */
export interface AccessRuleRef {
  line: number;
  text: string;
}

/** A `reserve` or `max` access rule that held a seat back. */
export interface SeatLimit {
  rule: AccessRuleRef;
  /** What the rule keeps, in words. */
  reason: string;
}

/** The outcome of {@link LeasePool.acquire}. */
export type AcquireResult =
  | { kind: 'granted'; lease: Lease }
  | { kind: 'renewed'; lease: Lease }
  /**
   * `inUse`/`total` count the scarcer of product and feature seats across usable licenses;
   * `limit` is set when a seat was free but a `reserve` or `max` rule kept it from this client.
   */
  | { kind: 'exhausted'; inUse: number; total: number; limit?: SeatLimit }
  | { kind: 'not-licensed'; reason: string }
  | { kind: 'expired'; reason: string }
  /** An access rule refuses the client; `rules` are the deny rule or the allow rules it does not meet. */
  | { kind: 'denied'; reason: string; rules: AccessRuleRef[] }
  /**
   * An administrator released this client's lease and keeps it out until `until` (epoch ms).
   * Given by the manager's `LeaseService`, never by the pool itself.
   */
  | { kind: 'revoked'; reason: string; until: number }
  /**
   * The product's session-limited server licenses (`server-sessions`) that could serve the
   * request serve a server on another computer: `holder` (its declared host name and the
   * address the manager saw). One comes free for another computer once every lease and
   * borrowed seat of it has ended.
   */
  | { kind: 'server-elsewhere'; reason: string; holder: { host: string; address?: string } };

/** The refusals among {@link AcquireResult}s. */
export type AcquireRefusal = Exclude<AcquireResult, { kind: 'granted' | 'renewed' }>;

/** The outcome of {@link LeasePool.borrow}. */
export type BorrowResult =
  | { kind: 'borrowed'; lease: Lease }
  /** The computer already holds a borrowed seat of this product and feature: `lease`. */
  | { kind: 'held'; lease: Lease }
  /** No served license lends seats of the product, or not for that many days (`maxDays`, 0: none). */
  | { kind: 'not-allowed'; reason: string; maxDays: number }
  | AcquireRefusal;

/** The outcome of {@link LeasePool.heartbeat}. */
export type HeartbeatResult = { kind: 'renewed'; lease: Lease } | { kind: 'unknown' } | { kind: 'expired' };

/** Options of a {@link LeasePool}. */
export interface LeasePoolOptions {
  /** The clock, epoch milliseconds. */
  now: () => number;
  /** A lease lapses this long after its last heartbeat. Default 60 000. */
  leaseTtlMs?: number;
}

/** The persisted state of a pool: its leases, as plain JSON. Licenses are not part of it. */
export interface PoolSnapshot {
  format: 'lictor-lease-pool';
  version: 1;
  takenAt: number;
  leases: Lease[];
}

/** Why {@link LeasePool.restore} did not take a lease back. */
export type DropReason =
  | 'over-capacity'
  | 'no-license'
  | 'license-expired'
  | 'lease-expired'
  | 'duplicate'
  /** A session-limited server license's lease from a computer other than the one taken back first. */
  | 'other-computer';

/** A lease that restoring left out. */
export interface DroppedLease {
  lease: Lease;
  reason: DropReason;
}
