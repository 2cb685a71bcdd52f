/** The inputs and outputs of the {@link Center} API, independent of HTTP. */

import type {
  ActivationRequest,
  ActivationResponse,
  ContainerKeys,
  ContainerPolicy,
  FeatureGrant,
  HardwareParams,
  IssuedLicenseType,
  LicenseEntry,
  LicenseType,
  Owner,
  ServerArch,
  SignedTime,
  VendorPublicKey,
} from '@lictor/protocol';
import type { DuplicatePolicy } from '@lictor/protocol/wire';
import type { CenterAlert } from './abuse.js';
import type { TokenPinChoice, TokenProgramming, TokenView } from './tokens.js';

/** A feature when a product is added. */
export interface FeatureInput {
  code: string;
  /** Defaults to the code. */
  name?: string;
}

/** `addProduct` input. */
export interface ProductInput {
  code: string;
  name: string;
  features?: FeatureInput[];
  /** Owner fields every activation must fill; defaults to `['company', 'email']`. */
  requiredOwnerFields?: string[];
  /** What a proven duplicate does: `blacklist` at once (default) or hold it for `review`. */
  duplicatePolicy?: DuplicatePolicy;
}

/** `blacklist`: a proven duplicate is blacklisted at once; `review`: held for the vendor's decision. */
export type { DuplicatePolicy };

/** A product with its features. */
export interface Product {
  code: string;
  name: string;
  features: { code: string; name: string }[];
  requiredOwnerFields: string[];
  duplicatePolicy: DuplicatePolicy;
  createdAt: string;
}

/** `issuePackage` input: what one sold package allows. */
export interface PackageSpec {
  product: string;
  type: LicenseType;
  /** Client applications of a `multi` or `combined` package. */
  users?: number;
  /** Concurrent sessions of a `server-sessions` package. */
  sessions?: number;
  /** Server architecture (server types only); default `x64`. */
  arch?: ServerArch;
  /** Default: every feature of the product, not counted. */
  features?: FeatureGrant[];
  /** Absolute end of the package (ISO 8601). */
  expiresAt?: string;
  /** Validity of each activation in days, counted from the activation. */
  days?: number;
  /** Number of PIN codes (for `combined`: single-user PIN codes); default 3. */
  pins?: number;
  /** How many PIN codes may be active at once; default 1, for `combined` pins + 1. */
  maxActive?: number;
  /**
   * `software-dongle`: each PIN code is activated once and never again, not even on the same
   * computer, and never transferred to a changed computer. Default `standard`.
   */
  policy?: ContainerPolicy;
  /**
   * The most days a seat of its licenses may be borrowed from a License Manager for offline use
   * (1–365); absent or 0: no borrowing.
   */
  borrowDays?: number;
  /**
   * Minutes a client keeps its seat after losing its License Manager (1–10080); absent: the
   * manager's lease TTL.
   */
  graceMinutes?: number;
}

/** One PIN code as printed on the package; shown only at issue time. */
export interface IssuedPin {
  index: number;
  pin: string;
  kind: 'single' | 'multi';
}

/** A package just issued, with its PIN codes in clear (stored only hashed and sealed). */
export interface IssuedPackage {
  serial: string;
  product: string;
  type: LicenseType;
  users: number;
  sessions: number | null;
  arch: ServerArch | null;
  features: FeatureGrant[];
  expiresAt: string | null;
  days: number | null;
  maxActive: number;
  policy: ContainerPolicy;
  /** Days a seat may be borrowed, or `null`: no borrowing. */
  borrowDays: number | null;
  /** Grace period in minutes, or `null`: the manager's lease TTL. */
  graceMinutes: number | null;
  pins: IssuedPin[];
}

/** The state of one PIN code (never the PIN itself). */
export interface PinView {
  index: number;
  kind: 'single' | 'multi';
  status: 'unused' | 'active' | 'retired' | 'revoked';
  activationId: string | null;
}

/** A package as the vendor sees it. */
export interface PackageView extends Omit<IssuedPackage, 'pins'> {
  status: 'active' | 'blacklisted';
  createdAt: string;
  activeCount: number;
  pins: PinView[];
}

/** Optional facts about who asked for an activation. */
export interface ActivationMeta {
  clientIp?: string;
}

/** An activation as the vendor sees it. */
export interface ActivationView {
  id: string;
  serial: string;
  pinIndex: number;
  containerId: string;
  owner: Owner;
  /** `null` for activations by request code: the center saw only the subject digest. */
  hardware: HardwareParams | null;
  /** `subjectDigest(owner, hardware)` of the license; `null` for activations made before it was stored. */
  subject: string | null;
  /** How the activation was asked for. */
  channel: 'online' | 'file' | 'code';
  /** Nonce of the offline request that created it. */
  requestNonce: string | null;
  status: 'active' | 'retired' | 'revoked';
  licenseKind: string;
  createdAt: string;
  updatedAt: string;
  retiredAt: string | null;
  retiredReason: string | null;
  clientIp: string | null;
  /** The container's public keys as last activated; `null` without keys and for activations by request code. */
  containerKeys: ContainerKeys | null;
  /** The highest upgrade counter the center issued for the container. */
  counter: number;
  /** The hardware token (`lictor-p256:…` key) a token-bound activation is bound to; `null` when bound to `hardware`. */
  tokenKey: string | null;
}

/** `listActivations` filter. */
export interface ActivationFilter {
  serial?: string;
  /** Newest first; default 100, at most 1000. */
  limit?: number;
}

/** `addToBlacklist` input: exactly one of `serial` and `activationId`. */
export interface BlacklistInput {
  serial?: string;
  activationId?: string;
  reason: string;
}

/** What {@link Center.reportDuplicate} did. */
export interface DuplicateReport {
  serial: string;
  pin: number;
  /** Activations on the blacklist because of the report (also those already there). */
  blacklisted: string[];
  /** With the product's `review` policy: the held report's id (nothing is blacklisted yet). */
  heldForReview?: string;
}

/** Counters of the center's expensive work since it was opened. */
export interface WorkCounters {
  /** Sealed PINs decrypted (offline requests, filling in PIN tags). */
  pinsOpened: number;
  /** Offline request proofs checked against a PIN. */
  pinProofsTried: number;
  /**
   * Stored activations the PIN rules read to decide (the PIN's own, the same computer's): a
   * handful per activation, however many the package holds.
   */
  activationsRead: number;
}

/** A verified duplicate report held for the vendor's review. */
export interface HeldDuplicate {
  id: string;
  /** The serial the signed announcements prove. */
  serial: string;
  /** The PIN's index the announcements prove (never the PIN). */
  pin: number;
  /** The product of the serial's package (the center's records); `null` if the package is gone. */
  product: string | null;
  activations: string[];
  instances: string[];
  /** The three announcements as verified: only their signed members. */
  announcements: HeldAnnouncement[];
  status: 'pending' | 'accepted' | 'dismissed';
  /** How many times it was reported while pending. */
  reports: number;
  firstAt: string;
  lastAt: string;
  clientIp: string | null;
  decidedAt: string | null;
}

/** One announcement of a held duplicate report, as verified. */
export interface HeldAnnouncement {
  instance: string;
  seq: number;
  activationId: string;
}

/** One recorded event. */
export interface AuditEvent {
  id: string;
  at: string;
  actor: string;
  action: string;
  subject: string;
  details: Record<string, unknown>;
}

/** What answering an offline request licenses, shown before and after answering. */
export interface RequestPreview {
  serial: string;
  product: string;
  productName: string;
  type: IssuedLicenseType;
  users: number;
  sessions: number | null;
  arch: ServerArch | null;
  features: FeatureGrant[];
  /** The license's end as the answer gives it (whole minutes for answer codes), `null` for perpetual. */
  expiresAt: string | null;
  /** As in the request file; for request codes, what the vendor typed. */
  owner: Owner;
  /** Host name of the requesting computer; `null` for request codes, which carry only digests. */
  hostname: string | null;
  /** When the request was made (request codes: the day, at 00:00 UTC). */
  createdAt: string;
  pinIndex: number;
  /** The PIN is already active for this owner and computer: the answer gives the same activation again. */
  reactivation: boolean;
}

/** An answered request file. */
export interface AnsweredRequest {
  activationId: string;
  reactivated: boolean;
  /** The armored license file, carrying the request's nonce. */
  license: string;
  preview: RequestPreview;
}

/** An answered request code. */
export interface AnsweredRequestCode {
  activationId: string;
  reactivated: boolean;
  /** The answer code to read or send to the customer. */
  answer: string;
  preview: RequestPreview;
}

/** What a remote upgrade changes in the license of the package's product. */
export interface UpgradeChanges {
  /**
   * The product whose license the changes below apply to; default the package's product. A
   * product added by an earlier upgrade is changed this way.
   */
  product?: string;
  /** Features of the product to grant; `users: null` is not counted. */
  addFeatures?: { code: string; users: number | null }[];
  /** Granted features to take away. */
  removeFeatures?: string[];
  /**
   * New user counts (higher or lower): of a granted feature, or with code `*` or the product's
   * code, of the license itself (multi-user licenses only).
   */
  users?: { code: string; users: number }[];
  /** Days added to the current end (from now if already expired); not with `expiresAt`/`expireNow`. */
  extendDays?: number;
  /** The new end (ISO 8601, in the future, earlier or later than today's), or `null` for perpetual. */
  expiresAt?: string | null;
  /** `true`: the license ends now (its time limit is set to the answer's time). */
  expireNow?: boolean;
  /** A new license type: only `single` → `multi` (with users `*`); see `typeChangeRefusal`. */
  type?: IssuedLicenseType;
  /** A server license's architecture. */
  arch?: ServerArch;
  /** A server-sessions license's concurrent sessions. */
  sessions?: number;
  /** Licenses of other products to add to the container, one entry each. */
  addProducts?: AddedProduct[];
}

/** A product's license added to a container by an upgrade. */
export interface AddedProduct {
  product: string;
  type: IssuedLicenseType;
  /** Users of a `multi` license (required there, refused elsewhere). */
  users?: number;
  /** Sessions of a `server-sessions` license. */
  sessions?: number;
  /** Server architecture; default `x64`. */
  arch?: ServerArch;
  /** Default: every feature of the product, not counted. */
  features?: { code: string; users?: number | null }[];
  /** Validity from the answer, in days; or `expiresAt`; neither: perpetual. */
  days?: number;
  expiresAt?: string;
}

/** What an upgrade did: the changed product's license before and after, and the products added. */
export interface UpgradeSummary {
  product: string;
  before: LicenseEntry;
  after: LicenseEntry;
  added: LicenseEntry[];
}

/** What answering an upgrade question would do, decided and checked but neither signed nor recorded. */
export interface UpgradePreview {
  containerId: string;
  serial: string;
  fromCounter: number;
  toCounter: number;
  summary: UpgradeSummary;
}

/** An answered upgrade question. */
export interface AnsweredUpgrade {
  upgradeId: string;
  /** The upgraded license file: only the asking container can apply it, only on the asked state. */
  answer: string;
  containerId: string;
  serial: string;
  fromCounter: number;
  toCounter: number;
  /** The license before and after, and the products added. */
  summary: UpgradeSummary;
}

/** A recorded confirmation. */
export interface ConfirmedUpgrade {
  upgradeId: string;
  containerId: string;
  serial: string;
  /** The counter the container reached. */
  counter: number;
  confirmedAt: string;
  /** `true` when this code had been recorded before (confirming is idempotent). */
  alreadyConfirmed: boolean;
}

/** `listUpgrades` filter. */
export interface UpgradeFilter {
  serial?: string;
  containerId?: string;
  /** `pending`, `confirmed` or `superseded`; anything else is `LICTOR_E_INVALID_INPUT` naming `status`. */
  status?: string;
  /** Newest first; default 100, at most 1000. */
  limit?: number;
}

/** An upgrade as the vendor sees it. */
export interface UpgradeView {
  id: string;
  activationId: string;
  serial: string;
  containerId: string;
  fromCounter: number;
  toCounter: number;
  status: 'pending' | 'confirmed' | 'superseded';
  createdAt: string;
  confirmedAt: string | null;
  changes: UpgradeChanges;
  /** The question file as received. */
  question: string;
  /** The license file answered. */
  answer: string;
  /** The confirmation code as recorded. */
  confirmation: string | null;
}

/** The vendor's License Center: products, packages, activations, blacklist and audit. */
export interface Center {
  readonly publicKey: VendorPublicKey;
  readonly dataDir: string;
  readonly databaseKind: 'sqlite' | 'postgres';
  /** Registers a product; `LICTOR_E_PRODUCT_EXISTS` if the code is taken. */
  addProduct(input: ProductInput): Promise<Product>;
  listProducts(): Promise<Product[]>;
  /** Issues a package: a new serial and PIN codes, returned in clear this once. */
  issuePackage(spec: PackageSpec): Promise<IssuedPackage>;
  /** A package and the state of its PIN codes; `LICTOR_E_NOT_FOUND` for an unknown serial. */
  getPackage(serial: string): Promise<PackageView>;
  /** Activates a PIN code on a computer and returns the signed license file. */
  activate(request: ActivationRequest, meta?: ActivationMeta): Promise<ActivationResponse>;
  /**
   * What answering a request file would license, after every check and PIN rule, writing
   * nothing. Refuses as {@link Center.answerRequest} would.
   */
  previewRequest(text: string, meta?: ActivationMeta): Promise<RequestPreview>;
  /** Answers a request file (the PIN rules of {@link Center.activate}) with a license file. */
  answerRequest(text: string, meta?: ActivationMeta): Promise<AnsweredRequest>;
  /**
   * Answers a request code with an answer code. `owner` is the registration data the vendor
   * took down (the product's required fields apply); the code itself carries only digests.
   */
  answerRequestCode(code: string, owner: Owner, meta?: ActivationMeta): Promise<AnsweredRequestCode>;
  listActivations(filter?: ActivationFilter): Promise<ActivationView[]>;
  /**
   * Answers a container's upgrade question (the text of a question file) with an upgraded
   * license that only this container can apply, on top of the asked state; pending until
   * confirmed. Earlier pending answers to the same counter are superseded.
   */
  answerUpgrade(question: string, changes: UpgradeChanges, meta?: ActivationMeta): Promise<AnsweredUpgrade>;
  /**
   * What {@link Center.answerUpgrade} would answer, after every check, writing nothing: the
   * license before and after and the products added. Refuses as `answerUpgrade` would.
   */
  previewUpgrade(question: string, changes: UpgradeChanges): Promise<UpgradePreview>;
  /** Records a confirmation code (idempotent); `LICTOR_E_CONFIRMATION_INVALID` if no upgrade matches. */
  confirmUpgrade(code: string): Promise<ConfirmedUpgrade>;
  /** Upgrades, newest first. */
  listUpgrades(filter?: UpgradeFilter): Promise<UpgradeView[]>;
  /** Blacklists a serial or one activation (idempotent). */
  addToBlacklist(entry: BlacklistInput): Promise<void>;
  /** The signed blacklist file that applications download (with its sequence, see `BlacklistDocument`). */
  blacklistFile(): Promise<string>;
  /**
   * The center's time signed with the vendor key over the client's nonce (`LICTOR_E_INVALID_INPUT`
   * for a malformed nonce). Sent with activations and blacklist downloads; moves the SDK's clock mark.
   */
  signedTime(nonce: string): SignedTime;
  /**
   * Takes a duplicate report from a network (see `verifyDuplicateEvidence`): checks the three
   * signed announcements and blacklists the activations in use at once. Idempotent.
   */
  reportDuplicate(evidence: unknown, meta?: ActivationMeta): Promise<DuplicateReport>;
  /** Changes what a product's proven duplicates do (audited). */
  setDuplicatePolicy(product: string, policy: DuplicatePolicy): Promise<Product>;
  /** Duplicate reports held for review, newest first; `status` filters (default `pending`). */
  listHeldDuplicates(status?: HeldDuplicate['status']): Promise<HeldDuplicate[]>;
  /** Accepts a held report: blacklists its activations (audited, actor `admin`). */
  acceptHeldDuplicate(id: string): Promise<HeldDuplicate>;
  /** Dismisses a held report: nothing is blacklisted (audited). */
  dismissHeldDuplicate(id: string): Promise<HeldDuplicate>;
  /** Hardware tokens licenses were bound to, most recently registered first. */
  listTokens(): Promise<TokenView[]>;
  /**
   * The PIN code to program a token with: the one the token already holds an active activation
   * of (a reactivation), else the first unused one. In clear: for in-process vendor tools only.
   */
  pinForToken(serial: string, publicKey: string): Promise<TokenPinChoice>;
  /** Records that an activation's container was written into its token (audited as `token.program`). */
  recordTokenProgramming(input: TokenProgramming): Promise<TokenView>;
  /** The latest events, newest first; default 50, at most 1000. */
  audit(limit?: number): Promise<AuditEvent[]>;
  /** Counters of expensive work since the center was opened (a copy). */
  workCounters(): WorkCounters;
  /** Calls `listener` with every alert (a burst of wrong PINs); returns the function that stops it. */
  onAlert(listener: (alert: CenterAlert) => void): () => void;
  /** Compares a presented admin token with the stored hash in constant time. */
  verifyAdminToken(token: string): boolean;
  /** Runs a trivial query; throws when the database cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
