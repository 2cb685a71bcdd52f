/**
 * The License Center's HTTP/JSON messages, each declared once: the TypeScript type is derived
 * (`Static`), and the center validates and serializes with the schema (Fastify) and names it in
 * OpenAPI. The schemas are the JSON Schema the center validated with before TypeBox, keyword for
 * keyword, so Ajv's refusals (and the error answers built from them) are unchanged.
 */
import { type Static, type TSchema, Type } from 'typebox';
import type { HardwareParams } from '../hardware.js';
import { type ContainerKeys, LICENSE_TYPES, MAX_BORROW_DAYS, MAX_GRACE_MINUTES, type Owner } from '../license.js';
import type { SignedTime } from '../signed-time.js';
import type { TokenActivationClaim } from '../token-presence.js';
import { NullableInteger, NullableString, StringEnum, StringMap } from './schema.js';

const str = Type.String();
const int = Type.Integer();
const bool = Type.Boolean();
const shortText = Type.String({ maxLength: 256 });
const textList = Type.Array(shortText, { maxItems: 64 });
/** Codes, serials, ids: 1–64 characters. */
const text64 = (description?: string) =>
  Type.String({ minLength: 1, maxLength: 64, ...(description === undefined ? {} : { description }) });
const name200 = Type.String({ minLength: 1, maxLength: 200 });
const tokenText = Type.String({ maxLength: 64 });
const owner = StringMap(str);
const policy = (description?: string) =>
  StringEnum(['standard', 'software-dongle'] as const, description === undefined ? {} : { description });
const UPGRADE_STATUSES = ['pending', 'confirmed', 'superseded'] as const;

/** Request files are a few kilobytes; this bounds what is read of one. */
export const MAX_REQUEST_TEXT = 64 * 1024;

/** `HardwareParams`, as collected by the SDK: every field required but the Windows OS serial and date, no other. */
export const HardwareBody = Type.Object(
  {
    platform: shortText,
    osName: shortText,
    osVersion: shortText,
    hostname: shortText,
    board: shortText,
    ramBytes: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
    bios: shortText,
    cpus: textList,
    nics: textList,
    disks: textList,
    osSerial: Type.Optional(Type.String({ maxLength: 256, description: 'Windows before 10: the OS serial number' })),
    osInstallDate: Type.Optional(
      Type.String({ maxLength: 256, description: 'Windows before 10: the installation date (ISO 8601)' }),
    ),
  },
  { additionalProperties: false },
);

/** Owner registration data: text fields. */
const ownerInput = StringMap(shortText, {
  maxProperties: 32,
  description: "Owner registration data; the product's required fields (default company and email) must be filled",
});

/** A container's public keys, generated on the computer (needed for remote upgrades). */
export const ContainerKeysBody = Type.Object(
  { sign: text64(), box: text64() },
  {
    additionalProperties: false,
    description: "The new container's public keys: Ed25519 'sign' and X25519 'box', raw, base64url",
  },
);

/** The claim a hardware token signs to bind an activation to itself. */
export const TokenActivationClaimBody = Type.Object(
  {
    serial: text64('The serial being activated'),
    publicKey: Type.String({
      minLength: 1,
      maxLength: 512,
      description: "The token's ECDSA P-256 key, lictor-p256:<base64url SPKI>",
    }),
    token: Type.Object(
      { manufacturer: tokenText, model: tokenText, serial: tokenText },
      { additionalProperties: false },
    ),
    createdAt: Type.String({
      minLength: 1,
      maxLength: 40,
      description: "ISO 8601; within 10 minutes of the center's clock",
    }),
    nonce: text64('Random, base64url'),
  },
  { additionalProperties: false },
);

/** A token-bound activation: the claim and the token's signature over it. */
export const TokenActivation = Type.Object(
  {
    claim: TokenActivationClaimBody,
    signature: Type.String({
      minLength: 1,
      maxLength: 128,
      description: 'ECDSA P-256 raw r||s over tokenActivationMessage(claim), base64url',
    }),
  },
  { additionalProperties: false, description: 'Bind the license to this hardware token instead of the computer' },
);
/** A token-bound activation: the claim and the token's signature over it. */
export type TokenActivation = Static<typeof TokenActivation>;

/** A nonce for the center's signed time: 16 to 64 random bytes, base64url (`newTimeNonce`, `isTimeNonce`). */
const timeNonce = (description: string) => Type.String({ pattern: '^[A-Za-z0-9_-]{22,86}$', description });

/** The center's time signed with the vendor key over the client's nonce (`signServerTime`, `verifyServerTime`). */
export const SignedTimeBody = Type.Object({
  time: Type.String({ description: 'ISO 8601 UTC' }),
  nonce: str,
  signature: Type.String({ description: 'Ed25519 by the vendor key, base64url' }),
});

/** `POST /v1/activations`: activate a PIN code of a package on this computer (or a token). */
export const ActivationRequest = Type.Object(
  {
    serial: text64('Serial number as printed'),
    pin: text64('PIN code as printed'),
    owner: ownerInput,
    hardware: HardwareBody,
    containerKeys: Type.Optional(ContainerKeysBody),
    token: Type.Optional(TokenActivation),
    timeNonce: Type.Optional(timeNonce('Nonce the signed time is made for')),
  },
  { additionalProperties: false },
);
/** `POST /v1/activations` body. */
export type ActivationRequest = Static<typeof ActivationRequest>;

/** An answer that carries a license file (online and offline activation). */
function licenseAnswer(description: string) {
  return Type.Object({ activationId: str, reactivated: bool, license: Type.String({ description }) });
}

/**
 * The answer to an accepted activation; `reactivated`: the same PIN, owner and computer again;
 * `time`: the center's signed time, when the request carried a `timeNonce`.
 */
export const ActivationResponse = Type.Object({
  ...licenseAnswer('The armored license file').properties,
  time: Type.Optional(SignedTimeBody),
});
/** The answer to an accepted activation. */
export type ActivationResponse = Static<typeof ActivationResponse>;

const featureGrant = Type.Object(
  { code: text64(), users: Type.Unsafe<number | null>({ type: ['integer', 'null'], minimum: 1 }) },
  { additionalProperties: false },
);

/** What a proven duplicate does: blacklist at once, or hold it for the vendor's review. */
export const DUPLICATE_POLICIES = ['blacklist', 'review'] as const;
/** `blacklist`: a proven duplicate is blacklisted at once; `review`: held for the vendor's decision. */
export type DuplicatePolicy = (typeof DUPLICATE_POLICIES)[number];
const duplicatePolicy = (description?: string) =>
  StringEnum(DUPLICATE_POLICIES, description === undefined ? {} : { description });

/** A product. */
export const ProductBody = Type.Object({
  code: str,
  name: str,
  features: Type.Array(Type.Object({ code: str, name: str })),
  requiredOwnerFields: Type.Array(str),
  duplicatePolicy: duplicatePolicy(),
  createdAt: str,
});

/** `POST /v1/admin/products` body. */
export const ProductInputBody = Type.Object(
  {
    code: text64(),
    name: name200,
    features: Type.Optional(
      Type.Array(Type.Object({ code: text64(), name: Type.Optional(name200) }, { additionalProperties: false }), {
        maxItems: 1000,
      }),
    ),
    requiredOwnerFields: Type.Optional(Type.Array(text64(), { maxItems: 32 })),
    duplicatePolicy: Type.Optional(
      duplicatePolicy("What a proven duplicate does: 'blacklist' at once (default) or hold it for 'review'"),
    ),
  },
  { additionalProperties: false },
);

/** `PUT /v1/admin/products/{code}/duplicate-policy` body. */
export const DuplicatePolicyInputBody = Type.Object(
  {
    duplicatePolicy: duplicatePolicy(
      "What a proven duplicate does: 'blacklist' at once (default) or hold it for 'review'",
    ),
  },
  { additionalProperties: false },
);

/** `/v1/admin/products/{code}/…` parameters. */
export const ProductCodeParams = Type.Object({ code: text64() });

/** `POST /v1/admin/packages` body. */
export const PackageSpecBody = Type.Object(
  {
    product: text64(),
    type: StringEnum(LICENSE_TYPES),
    users: Type.Optional(Type.Integer({ minimum: 1 })),
    sessions: Type.Optional(Type.Integer({ minimum: 1 })),
    arch: Type.Optional(StringEnum(['x86', 'x64'] as const)),
    features: Type.Optional(Type.Array(featureGrant, { maxItems: 1000 })),
    expiresAt: Type.Optional(Type.String({ maxLength: 40, description: 'Absolute end of the package (ISO 8601)' })),
    days: Type.Optional(Type.Integer({ minimum: 1, description: 'Validity counted from each activation' })),
    pins: Type.Optional(Type.Integer({ minimum: 1 })),
    maxActive: Type.Optional(Type.Integer({ minimum: 1 })),
    policy: Type.Optional(policy('software-dongle: each PIN code is activated once, never reactivated or transferred')),
    borrowDays: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_BORROW_DAYS,
        description:
          'The most days a seat may be borrowed from a License Manager for offline use; 0 or absent: no borrowing',
      }),
    ),
    graceMinutes: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_GRACE_MINUTES,
        description:
          "Minutes a client keeps its seat after losing its License Manager; absent: the manager's lease TTL",
      }),
    ),
  },
  { additionalProperties: false },
);

const packageFields = {
  serial: str,
  product: str,
  type: str,
  users: int,
  sessions: NullableInteger(),
  arch: NullableString(),
  features: Type.Array(featureGrant),
  expiresAt: NullableString(),
  days: NullableInteger(),
  maxActive: int,
  policy: policy(),
  borrowDays: NullableInteger({ description: 'Days a seat may be borrowed; null: no borrowing' }),
  graceMinutes: NullableInteger({ description: "Grace period in minutes; null: the manager's lease TTL" }),
};

/** `POST /v1/admin/packages` answer: the PIN codes in clear, this once. */
export const IssuedPackageBody = Type.Object({
  ...packageFields,
  pins: Type.Array(Type.Object({ index: int, pin: str, kind: str })),
});

/** `GET /v1/admin/packages/{serial}` answer: no PIN codes, only their state. */
export const PackageViewBody = Type.Object({
  ...packageFields,
  status: str,
  createdAt: str,
  activeCount: int,
  pins: Type.Array(Type.Object({ index: int, kind: str, status: str, activationId: NullableString() })),
});

/** `/v1/admin/packages/{serial}` parameters. */
export const SerialParams = Type.Object({ serial: text64() });

/** An activation as administrators see it. */
export const ActivationViewBody = Type.Object({
  id: str,
  serial: str,
  pinIndex: int,
  containerId: str,
  owner,
  hardware: Type.Union([HardwareBody, Type.Null({ description: 'Activations by request code' })]),
  subject: Type.Optional(NullableString()),
  channel: Type.Optional(StringEnum(['online', 'file', 'code'] as const)),
  requestNonce: Type.Optional(NullableString()),
  status: str,
  licenseKind: str,
  createdAt: str,
  updatedAt: Type.Optional(str),
  retiredAt: Type.Optional(NullableString()),
  retiredReason: Type.Optional(NullableString()),
  clientIp: Type.Optional(NullableString()),
  containerKeys: Type.Optional(Type.Union([ContainerKeysBody, Type.Null()])),
  counter: Type.Optional(Type.Integer({ description: 'The highest upgrade counter issued for the container' })),
  tokenKey: Type.Optional(
    NullableString({ description: 'The hardware token key (lictor-p256:…) of a token-bound activation' }),
  ),
});

/** `GET /v1/blacklist` query. */
export const BlacklistQuery = Type.Object(
  {
    nonce: Type.Optional(
      timeNonce('With a nonce, the `Lictor-Time` header carries the signed time (JSON) made for it'),
    ),
  },
  { additionalProperties: false },
);

/** `POST /v1/admin/blacklist` body. */
export const BlacklistInputBody = Type.Object(
  {
    serial: Type.Optional(text64()),
    activationId: Type.Optional(text64()),
    reason: Type.String({ minLength: 1, maxLength: 500 }),
  },
  { additionalProperties: false },
);

/** An audit event. */
export const AuditEventBody = Type.Object({
  id: str,
  at: str,
  actor: str,
  action: str,
  subject: str,
  details: Type.Unsafe<Record<string, unknown>>({ type: 'object', additionalProperties: true }),
});

/** `POST /v1/duplicates` body: the evidence is checked by the domain. */
export const DuplicateReportBody = Type.Object(
  { evidence: Type.Unsafe<unknown>({ type: 'object' }) },
  { additionalProperties: false },
);

/** `POST /v1/duplicates` answer. */
export const DuplicateReportAnswer = Type.Object({
  serial: str,
  pin: int,
  blacklisted: Type.Array(str),
  heldForReview: Type.Optional(
    Type.String({ description: "The held report's id, when the product's policy is 'review'" }),
  ),
});

const HELD_DUPLICATE_STATUSES = ['pending', 'accepted', 'dismissed'] as const;

/** One announcement of a held report, as verified (its signed members). */
export const HeldAnnouncementBody = Type.Object({
  instance: Type.String({ description: 'The announcing instance (one running computer)' }),
  seq: Type.Integer({ description: "The instance's own counter (its monotonic clock, ms)" }),
  activationId: Type.String({ description: 'The activation of the license file announced' }),
});

/**
 * A verified duplicate report held for the vendor's review: only what the signed announcements
 * prove and the center's own records say. The reporter's own words (an evidence's unsigned
 * `serial` and `pin` members, anything else it sent) are never shown; no PIN either.
 */
export const HeldDuplicateBody = Type.Object({
  id: str,
  serial: Type.String({ description: 'The serial the signed announcements prove' }),
  pin: Type.Integer({ description: "The PIN's index in the package, as the announcements prove it (never the PIN)" }),
  product: NullableString({ description: "The product of the serial's package, from the center's records" }),
  activations: Type.Array(str, { description: "The activations proven, each one the center's own" }),
  instances: Type.Array(str),
  announcements: Type.Array(HeldAnnouncementBody, {
    description: "The three announcements as verified, in the reporter's receive order (A, B, A')",
  }),
  status: StringEnum(HELD_DUPLICATE_STATUSES),
  reports: Type.Integer({ description: 'How many times it was reported while pending' }),
  firstAt: str,
  lastAt: str,
  clientIp: NullableString({ description: 'The address the report came from (its last report)' }),
  decidedAt: NullableString(),
});

/** `GET /v1/admin/duplicates` query. */
export const HeldDuplicateQuery = Type.Object(
  { status: Type.Optional(StringEnum(HELD_DUPLICATE_STATUSES, { description: 'Default: pending' })) },
  { additionalProperties: false },
);

/** `/v1/admin/duplicates/{id}/…` parameters. */
export const HeldDuplicateParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

/** `POST /v1/admin/duplicates/{id}/decision` body. */
export const DuplicateDecisionBody = Type.Object(
  {
    decision: StringEnum(['accept', 'dismiss'] as const, {
      description: "'accept' blacklists the report's activations, 'dismiss' blacklists nothing",
    }),
  },
  { additionalProperties: false },
);

/** `POST /v1/offline/requests` and `/preview` body. */
export const OfflineRequestBody = Type.Object(
  {
    request: Type.String({
      minLength: 1,
      maxLength: MAX_REQUEST_TEXT,
      description: 'The request file as made on the computer (LICTOR REQUEST block)',
    }),
  },
  { additionalProperties: false },
);

/** `POST /v1/offline/codes` body. */
export const OfflineCodeBody = Type.Object(
  {
    code: Type.String({ minLength: 1, maxLength: 512, description: 'The request code as read or typed' }),
    owner: ownerInput,
  },
  { additionalProperties: false },
);

/** What answering a request licenses. */
export const RequestPreviewBody = Type.Object({
  serial: str,
  product: str,
  productName: str,
  type: str,
  users: int,
  sessions: NullableInteger(),
  arch: NullableString(),
  features: Type.Array(featureGrant),
  expiresAt: NullableString(),
  owner,
  hostname: NullableString({ description: 'null for request codes' }),
  createdAt: str,
  pinIndex: int,
  reactivation: bool,
});

/** `POST /v1/offline/requests` answer. */
export const OfflineFileAnswer = licenseAnswer('The armored license file; it carries the request nonce');

/** `POST /v1/offline/codes` answer. */
export const OfflineCodeAnswer = Type.Object({
  activationId: str,
  reactivated: bool,
  answer: Type.String({ description: 'The answer code to read or send to the customer' }),
});

/** `?limit=` of list routes. */
function limit(description: string) {
  return Type.Integer({ minimum: 1, maximum: 1000, description });
}

/** `GET /v1/admin/audit` query. */
export const AuditQuery = Type.Object(
  { limit: Type.Optional(limit('At most this many (default 50)')) },
  { additionalProperties: false },
);

const licenseEntry = Type.Object({
  product: str,
  type: str,
  users: int,
  sessions: NullableInteger(),
  arch: NullableString(),
  expiresAt: NullableString(),
  features: Type.Array(featureGrant),
});

const ISSUED_TYPES = ['single', 'multi', 'server', 'server-sessions'] as const;
const SERVER_ARCHS = ['x86', 'x64'] as const;

/** A product's license added to a container by an upgrade. */
const AddedProductBody = Type.Object(
  {
    product: text64(),
    type: StringEnum(ISSUED_TYPES),
    users: Type.Optional(Type.Integer({ minimum: 1, description: 'Users of a multi-user license (required there)' })),
    sessions: Type.Optional(
      Type.Integer({ minimum: 1, description: 'Sessions of a server-sessions license (required there)' }),
    ),
    arch: Type.Optional(StringEnum(SERVER_ARCHS, { description: 'Server architecture (server types); default x64' })),
    features: Type.Optional(
      Type.Array(
        Type.Object(
          {
            code: text64(),
            users: Type.Optional(Type.Unsafe<number | null>({ type: ['integer', 'null'], minimum: 1 })),
          },
          { additionalProperties: false },
        ),
        { maxItems: 1000, description: 'Default: every feature of the product, not counted' },
      ),
    ),
    days: Type.Optional(Type.Integer({ minimum: 1, description: 'Validity from the answer, in days' })),
    expiresAt: Type.Optional(
      Type.String({ maxLength: 40, description: 'End (ISO 8601); neither this nor days: perpetual' }),
    ),
  },
  { additionalProperties: false },
);

const upgradeChanges = {
  product: Type.Optional(text64("The product whose license changes; default the package's product")),
  addFeatures: Type.Optional(
    Type.Array(featureGrant, {
      maxItems: 1000,
      description: 'Features of the product to grant; users null: not counted',
    }),
  ),
  removeFeatures: Type.Optional(Type.Array(text64(), { maxItems: 1000, description: 'Granted features to take away' })),
  users: Type.Optional(
    Type.Array(Type.Object({ code: text64(), users: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }), {
      maxItems: 1000,
      description:
        "New user counts (higher or lower) of granted features; code '*' (or the product code): the license's own users",
    }),
  ),
  extendDays: Type.Optional(
    Type.Integer({ minimum: 1, description: 'Days added to the current end (from now if expired)' }),
  ),
  expiresAt: Type.Optional(
    NullableString({
      maxLength: 40,
      description: "New end (ISO 8601, in the future, earlier or later than today's); null: perpetual",
    }),
  ),
  expireNow: Type.Optional(Type.Boolean({ description: 'true: the license ends at the time of the answer' })),
  type: Type.Optional(
    StringEnum(ISSUED_TYPES, { description: 'New license type: only single → multi (with users *)' }),
  ),
  arch: Type.Optional(StringEnum(SERVER_ARCHS, { description: "A server license's architecture" })),
  sessions: Type.Optional(Type.Integer({ minimum: 1, description: "A server-sessions license's sessions" })),
  addProducts: Type.Optional(
    Type.Array(AddedProductBody, { maxItems: 100, description: 'Licenses of other products to add to the container' }),
  ),
};

/** `POST /v1/admin/upgrades` body. */
export const UpgradeInputBody = Type.Object(
  {
    question: Type.String({
      minLength: 1,
      maxLength: MAX_REQUEST_TEXT,
      description: 'The question file made by the container (LICTOR QUESTION block)',
    }),
    ...upgradeChanges,
  },
  { additionalProperties: false },
);

const UpgradeSummaryBody = Type.Object({
  product: str,
  before: licenseEntry,
  after: licenseEntry,
  added: Type.Array(licenseEntry),
});

/** `POST /v1/admin/upgrades` answer. */
export const AnsweredUpgradeBody = Type.Object({
  upgradeId: str,
  answer: Type.String({ description: 'The upgraded license file, for the asking container only' }),
  containerId: str,
  serial: str,
  fromCounter: int,
  toCounter: int,
  summary: UpgradeSummaryBody,
});

/** `POST /v1/admin/upgrades/preview` answer: the changes before anything is signed or recorded. */
export const UpgradePreviewBody = Type.Object({
  containerId: str,
  serial: str,
  fromCounter: int,
  toCounter: int,
  summary: UpgradeSummaryBody,
});

/** `POST /v1/admin/upgrades/confirm` body. */
export const ConfirmUpgradeBody = Type.Object(
  {
    code: Type.String({
      minLength: 1,
      maxLength: 256,
      description: 'The confirmation code shown by the application',
    }),
  },
  { additionalProperties: false },
);

/** `POST /v1/admin/upgrades/confirm` answer. */
export const ConfirmedUpgradeBody = Type.Object({
  upgradeId: str,
  containerId: str,
  serial: str,
  counter: int,
  confirmedAt: str,
  alreadyConfirmed: bool,
});

/** An upgrade as listed. */
export const UpgradeViewBody = Type.Object({
  id: str,
  activationId: str,
  serial: str,
  containerId: str,
  fromCounter: int,
  toCounter: int,
  status: StringEnum(UPGRADE_STATUSES),
  createdAt: str,
  confirmedAt: NullableString(),
  changes: Type.Object(upgradeChanges),
  question: str,
  answer: str,
  confirmation: NullableString(),
});

/** `GET /v1/admin/activations` query. */
export const ActivationFilterQuery = Type.Object(
  {
    serial: Type.Optional(text64('Only this package')),
    limit: Type.Optional(limit('At most this many (default 100)')),
  },
  { additionalProperties: false },
);

/** `GET /v1/admin/upgrades` query. */
export const UpgradeFilterQuery = Type.Object(
  {
    serial: Type.Optional(text64('Only this package')),
    containerId: Type.Optional(text64('Only this container')),
    status: Type.Optional(StringEnum(UPGRADE_STATUSES)),
    limit: Type.Optional(limit('At most this many (default 100)')),
  },
  { additionalProperties: false },
);

/** `GET /healthz` answer. */
export const HealthBody = Type.Object({
  status: StringEnum(['ok'] as const),
  database: StringEnum(['sqlite', 'postgres'] as const),
});

/** The answer of a list route: `{ <name>: [items] }`. */
function list<const N extends string, S extends TSchema>(name: N, items: S) {
  return Type.Object({ [name]: Type.Array(items) } as { [K in N]: ReturnType<typeof Type.Array<S>> });
}

/**
 * The center's named messages, as they appear in `components.schemas` of its OpenAPI document
 * (request and answer bodies).
 */
export const CENTER_MESSAGES = {
  ActivationRequest,
  ActivationResponse,
  DuplicateReport: DuplicateReportBody,
  DuplicateReportAnswer,
  OfflineRequest: OfflineRequestBody,
  OfflineFileAnswer,
  RequestPreview: RequestPreviewBody,
  OfflineCode: OfflineCodeBody,
  OfflineCodeAnswer,
  Health: HealthBody,
  Product: ProductBody,
  ProductList: list('products', ProductBody),
  ProductInput: ProductInputBody,
  DuplicatePolicyInput: DuplicatePolicyInputBody,
  HeldDuplicate: HeldDuplicateBody,
  HeldDuplicateList: list('duplicates', HeldDuplicateBody),
  DuplicateDecision: DuplicateDecisionBody,
  PackageSpec: PackageSpecBody,
  IssuedPackage: IssuedPackageBody,
  PackageView: PackageViewBody,
  ActivationList: list('activations', ActivationViewBody),
  UpgradeInput: UpgradeInputBody,
  AnsweredUpgrade: AnsweredUpgradeBody,
  UpgradePreview: UpgradePreviewBody,
  ConfirmUpgrade: ConfirmUpgradeBody,
  ConfirmedUpgrade: ConfirmedUpgradeBody,
  UpgradeList: list('upgrades', UpgradeViewBody),
  BlacklistInput: BlacklistInputBody,
  AuditEventList: list('events', AuditEventBody),
} as const;

// The wire messages and protocol's own types describe the same values: the compiler keeps them equal.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const same = <T extends true>(): T | undefined => undefined;
same<Same<Static<typeof HardwareBody>, HardwareParams>>();
same<Same<Static<typeof ContainerKeysBody>, ContainerKeys>>();
same<Same<Static<typeof TokenActivationClaimBody>, TokenActivationClaim>>();
same<Same<ActivationRequest['owner'], Owner>>();
same<Same<Static<typeof SignedTimeBody>, SignedTime>>();
