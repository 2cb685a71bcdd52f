/**
 * Table types of the License Center database. Timestamps are ISO 8601 text (UTC, millisecond
 * precision), which sorts correctly as text on every engine; JSON columns are text, typed by what they hold (`Json<T>`, see `json-column.ts`).
 */
import type { ContainerKeys, FeatureGrant, HardwareParams, Owner } from '@lictor/protocol';
import type { Generated } from 'kysely';
import type { DuplicatePolicy, UpgradeChanges } from '../center/types.js';
import type { Json } from './json-column.js';

/** A product the vendor sells. */
export interface ProductsTable {
  code: string;
  name: string;
  /** Owner field names an activation must fill. */
  required_owner_fields: Json<string[]>;
  created_at: string;
  /** What a proven duplicate does: blacklist at once, or wait for the vendor's review. */
  duplicate_policy: Generated<DuplicatePolicy>;
}

/** `pending` until the vendor accepts (blacklists) or dismisses it. */
export type DuplicateReportStatus = 'pending' | 'accepted' | 'dismissed';

/** A verified duplicate report held for review (products with the `review` policy). */
export interface DuplicateReportsTable {
  id: string;
  serial: string;
  pin_idx: number;
  /** The activation ids the evidence names (sorted: the same report has the same text). */
  activations: Json<string[]>;
  /** The two instance ids. */
  instances: Json<string[]>;
  /** The evidence as first received. */
  evidence: Json<unknown>;
  status: DuplicateReportStatus;
  /** How many times it was reported while pending. */
  reports: number;
  first_at: string;
  last_at: string;
  client_ip: string | null;
  decided_at: string | null;
}

/** Refused activation attempts counted per serial, code, channel and time window. */
export interface RefusalWindowsTable {
  /** The serial as typed when the center knows it; `?` for every unknown serial together. */
  serial: string;
  code: string;
  channel: string;
  window_start: string;
  count: number;
  first_at: string;
  last_at: string;
  last_client_ip: string | null;
}

/** A component or option of a product. */
export interface FeaturesTable {
  product_code: string;
  code: string;
  name: string;
}

/** Package status: a blacklisted package refuses every activation. */
export type PackageStatus = 'active' | 'blacklisted';

/** A sold package: one serial number with its PIN codes. */
export interface PackagesTable {
  serial: string;
  product_code: string;
  license_type: string;
  users: number;
  sessions: number | null;
  arch: string | null;
  features: Json<FeatureGrant[]>;
  /** Absolute end of the package, or null. */
  expires_at: string | null;
  /** Validity in days counted from each activation, or null. */
  duration_days: number | null;
  pin_count: number;
  max_active: number;
  status: PackageStatus;
  created_at: string;
  /** `standard`, or `software-dongle`: activated once, never reactivated or transferred. */
  policy: Generated<PackagePolicy>;
  /** The most days a seat of its licenses may be borrowed from a License Manager; null: no borrowing. */
  borrow_days: number | null;
  /** Minutes a client keeps its seat after losing its License Manager; null: the manager's lease TTL. */
  grace_minutes: number | null;
  /** Active activations of the package, kept by triggers on `activations` (migration 0008). */
  active_count: Generated<number>;
}

/** How the containers of a package may be activated and moved. */
export type PackagePolicy = 'standard' | 'software-dongle';

/** The kind of license a PIN code activates. */
export type PinKind = 'single' | 'multi';

/** A PIN code of a package, stored only as a peppered HMAC. */
export interface PinsTable {
  serial: string;
  /** 1-based index of the PIN within the package. */
  idx: number;
  pin_hash: string;
  kind: PinKind;
  /**
   * The normalized PIN encrypted for the center itself (AES-256-GCM under a key derived from the
   * PIN pepper; `v1.<iv>.<ciphertext+tag>`), so that offline requests, which prove the PIN without
   * revealing it, can be checked. `null` for packages issued before offline activation existed.
   */
  pin_sealed: string | null;
  /** `pinTag(serial, pin)` (hex): how an offline request finds its PIN; `null` until filled in. */
  pin_tag: string | null;
}

/** `retired`: replaced after a hardware change; `revoked`: blacklisted by the vendor. */
export type ActivationStatus = 'active' | 'retired' | 'revoked';

/** How an activation reached the center: the web service, a request file, or a request code. */
export type ActivationChannel = 'online' | 'file' | 'code';

/** One activation of one PIN code (a PIN is activated at most once). */
export interface ActivationsTable {
  id: string;
  serial: string;
  pin_idx: number;
  container_id: string;
  owner: Json<Owner>;
  /** Normalized company and e-mail, compared on reactivation. */
  owner_key: string;
  /**
   * `HardwareParams`, normalized, as at activation; `null` (the JSON text) for activations by
   * request code, where the center only sees the subject digest.
   */
  hardware: Json<HardwareParams | null>;
  /** `subjectDigest(owner, hardware)` of the license; `null` only for rows made before it was stored. */
  subject: string | null;
  channel: ActivationChannel;
  /** Nonce of the offline request answered (base64url for files, hex for codes). */
  request_nonce: string | null;
  status: ActivationStatus;
  license_kind: string;
  created_at: string;
  updated_at: string;
  retired_at: string | null;
  retired_reason: string | null;
  client_ip: string | null;
  /** The container's public keys, `null` without keys or for activations by request code. */
  container_keys: Json<ContainerKeys> | null;
  /** The highest upgrade counter the center has issued for the container (0: none). */
  counter: Generated<number>;
  /** Token-bound activations: the token's public key (`lictor-p256:…`, a `tokens` row); else `null`. */
  token_key: string | null;
}

/**
 * One mark of an active activation bound to hardware (`hardwareMarks`: a network adapter, a
 * drive, the host name with the motherboard): activations sharing a mark are of the same
 * computer. Inserted with the activation; deleted by trigger when it stops being active.
 */
export interface HardwareMarksTable {
  serial: string;
  mark: string;
  activation_id: string;
}

/** A blacklisted serial or activation. */
export interface BlacklistTable {
  id: string;
  serial: string | null;
  activation_id: string | null;
  reason: string;
  created_at: string;
}

/** Named counters (migration 0005): `blacklist` is the signed list's sequence. */
export interface CountersTable {
  name: string;
  value: number;
}

/** What happened in the License Center, newest with the greatest id. */
export interface AuditEventsTable {
  /** Time-ordered id; sorting by it gives the order of recording. */
  id: string;
  at: string;
  actor: string;
  action: string;
  subject: string;
  /** Never holds a PIN, token or key. */
  details: Json<Record<string, unknown>>;
}

/** `superseded`: another answer to a question from the same counter replaced it. */
export type UpgradeStatus = 'pending' | 'confirmed' | 'superseded';

/** One remote upgrade of a container: the question, the answer and its confirmation. */
export interface UpgradesTable {
  /** Time-ordered id. */
  id: string;
  activation_id: string;
  container_id: string;
  /** `containerTag(container_id)`: what a confirmation code names. */
  container_tag: string;
  from_counter: number;
  to_counter: number;
  question_nonce: string;
  /** The question file as received. */
  question: string;
  /** The upgraded license file sent back. */
  answer: string;
  /** The changes as asked for. */
  changes: Json<UpgradeChanges>;
  /** The 16-byte confirmation secret, sealed for the center (`v1.<iv>.<ciphertext+tag>`). */
  secret_sealed: string;
  status: UpgradeStatus;
  created_at: string;
  confirmed_at: string | null;
  /** The confirmation code as typed. */
  confirmation: string | null;
}

/**
 * A hardware token the center knows: registered by its first token-bound activation, marked
 * programmed when `lictor center token program` wrote a license container into it.
 */
export interface TokensTable {
  /** The token's ECDSA P-256 public key, `lictor-p256:…` (non-extractable on the token). */
  public_key: string;
  /** Hex of the first 16 bytes of SHA-256 of the key's SPKI (`TokenPublicKey.fingerprint`). */
  fingerprint: string;
  manufacturer: string;
  model: string;
  /** The token's own serial number (not a package serial). */
  token_serial: string;
  /** The token's label when it was programmed, else `null`. */
  label: string | null;
  registered_at: string;
  /** When a license container was last written into the token; `null` if never. */
  programmed_at: string | null;
  /** The package and activation of the container on the token (`null` if never programmed). */
  package_serial: string | null;
  activation_id: string | null;
}

/** The License Center database. */
export interface DB {
  products: ProductsTable;
  features: FeaturesTable;
  packages: PackagesTable;
  pins: PinsTable;
  activations: ActivationsTable;
  blacklist: BlacklistTable;
  audit_events: AuditEventsTable;
  upgrades: UpgradesTable;
  tokens: TokensTable;
  counters: CountersTable;
  duplicate_reports: DuplicateReportsTable;
  refusal_windows: RefusalWindowsTable;
  hardware_marks: HardwareMarksTable;
}
