/** What the domain modules share: the store, the vendor's keys and the clock. */
import type { VendorSigner } from '@lictor/protocol';
import type { Kysely } from 'kysely';
import type { StoreDialect } from '../store/dialect.js';
import type { DB } from '../store/schema.js';
import type { CenterAlert } from './abuse.js';
import type { CenterLimits } from './rate-limits.js';
import type { LicenseSealer } from './sealer.js';
import type { WorkCounters } from './types.js';

/** Dependencies of the domain functions, created once by `openCenter`. */
export interface CenterContext {
  readonly db: Kysely<DB>;
  readonly dialect: StoreDialect;
  /** Created once; signing never re-reads the key file. */
  readonly signer: VendorSigner;
  /** Signs license files (in a worker thread unless configured inline). */
  readonly sealer: LicenseSealer;
  /** Secret key of the PIN HMACs. */
  readonly pinPepper: Uint8Array;
  /** AES-256 key of the sealed PINs, derived once from the pepper. */
  readonly pinSealKey: Uint8Array;
  /** AES-256 key of the sealed upgrade confirmation secrets, derived once from the pepper. */
  readonly upgradeSecretKey: Uint8Array;
  /** Offline requests older than this many days are refused. */
  readonly requestMaxAgeDays: number;
  readonly now: () => Date;
  /** Time-ordered ids for activations, audit events and blacklist entries. */
  readonly newId: () => string;
  /** Rate limits of the public endpoints (per client address, per serial). */
  readonly limits: CenterLimits;
  /** Counters of expensive work (never reset), for tests and operators: see `Center.workCounters`. */
  readonly work: WorkCounters;
  /** Raises an alert to whoever listens (`Center.onAlert`). */
  readonly alert: (alert: CenterAlert) => void;
  /** Time-ordered 16-hex-digit ids for activations by request code (they travel in answer codes). */
  readonly newShortId: () => string;
}
