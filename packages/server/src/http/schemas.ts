/** JSON schemas of the HTTP API: validation of requests, serialization of answers, and OpenAPI. */
import { LICENSE_TYPES } from '@lictor/protocol';

/** `$ref` to the shared error body, registered by `buildCenterServer`. */
export const ERROR_REF = { $ref: 'ErrorBody#' } as const;

/** The body of every error answer. */
export const errorBodySchema = {
  $id: 'ErrorBody',
  type: 'object',
  description: 'Every error answer: a stable code, what happened and what to do, structured details.',
  required: ['code', 'message'],
  properties: {
    code: { type: 'string', description: 'Stable LICTOR_E_* code' },
    message: { type: 'string' },
    details: { type: 'object', additionalProperties: true },
  },
} as const;

/** Error answers for the given statuses. */
export function errorResponses(...statuses: number[]): Record<string, typeof ERROR_REF> {
  const out: Record<string, typeof ERROR_REF> = { 500: ERROR_REF };
  for (const s of statuses) out[String(s)] = ERROR_REF;
  return out;
}

/** An object whose properties are all required except those named in `optional` (answers, parameters). */
export function requiredObject<const P extends Record<string, object>>(
  properties: P,
  optional: readonly (keyof P & string)[] = [],
) {
  return {
    type: 'object',
    required: Object.keys(properties).filter((name) => !(optional as readonly string[]).includes(name)),
    properties,
  } as const;
}

/** An object of the `required` properties, any of the others, and nothing else (request bodies). */
export function strictObject<const P extends Record<string, object>>(
  required: readonly (keyof P & string)[],
  properties: P,
) {
  return { type: 'object', required, additionalProperties: false, properties } as const;
}

/** The answer of a list route: `{ <name>: [items] }`. */
export function listAnswer(name: string, items: object) {
  return requiredObject({ [name]: { type: 'array', items } });
}

const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const bool = { type: 'boolean' } as const;
const nullableInt = { type: ['integer', 'null'] } as const;
const nullableText = { type: ['string', 'null'] } as const;
const shortText = { type: 'string', maxLength: 256 } as const;
const textList = { type: 'array', maxItems: 64, items: shortText } as const;
/** Codes, serials, ids: 1–64 characters. */
const text64 = { type: 'string', minLength: 1, maxLength: 64 } as const;
const name200 = { type: 'string', minLength: 1, maxLength: 200 } as const;
const owner = { type: 'object', additionalProperties: str } as const;
const policy = { type: 'string', enum: ['standard', 'software-dongle'] } as const;
const upgradeStatus = { type: 'string', enum: ['pending', 'confirmed', 'superseded'] } as const;

/** `HardwareParams`, as collected by the SDK: every field required, no other. */
const hardwareProperties = {
  platform: shortText,
  osName: shortText,
  osVersion: shortText,
  hostname: shortText,
  board: shortText,
  ramBytes: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
  bios: shortText,
  cpus: textList,
  nics: textList,
  disks: textList,
} as const;
const hardwareSchema = { ...requiredObject(hardwareProperties), additionalProperties: false } as const;

/** Owner registration data: text fields. */
const ownerSchema = {
  type: 'object',
  maxProperties: 32,
  additionalProperties: shortText,
  description: "Owner registration data; the product's required fields (default company and email) must be filled",
} as const;

/** A container's public keys, generated on the computer (needed for remote upgrades). */
const containerKeysSchema = {
  ...strictObject(['sign', 'box'], { sign: text64, box: text64 }),
  description: "The new container's public keys: Ed25519 'sign' and X25519 'box', raw, base64url",
} as const;

const tokenText = { type: 'string', maxLength: 64 } as const;

/** A token-bound activation: the claim the token signed and its signature. */
const tokenActivationSchema = {
  ...strictObject(['claim', 'signature'], {
    claim: strictObject(['serial', 'publicKey', 'token', 'createdAt', 'nonce'], {
      serial: { ...text64, description: 'The serial being activated' },
      publicKey: {
        type: 'string',
        minLength: 1,
        maxLength: 512,
        description: "The token's ECDSA P-256 key, lictor-p256:<base64url SPKI>",
      },
      token: strictObject(['manufacturer', 'model', 'serial'], {
        manufacturer: tokenText,
        model: tokenText,
        serial: tokenText,
      }),
      createdAt: {
        type: 'string',
        minLength: 1,
        maxLength: 40,
        description: "ISO 8601; within 10 minutes of the center's clock",
      },
      nonce: { ...text64, description: 'Random, base64url' },
    }),
    signature: {
      type: 'string',
      minLength: 1,
      maxLength: 128,
      description: 'ECDSA P-256 raw r||s over tokenActivationMessage(claim), base64url',
    },
  }),
  description: 'Bind the license to this hardware token instead of the computer',
} as const;

/** `POST /v1/activations` body. */
export const activationRequestSchema = strictObject(['serial', 'pin', 'owner', 'hardware'], {
  serial: { ...text64, description: 'Serial number as printed' },
  pin: { ...text64, description: 'PIN code as printed' },
  owner: ownerSchema,
  hardware: hardwareSchema,
  containerKeys: containerKeysSchema,
  token: tokenActivationSchema,
});

/** An answer that carries a license file (online and offline activation). */
function licenseAnswerSchema(description: string) {
  return requiredObject({ activationId: str, reactivated: bool, license: { type: 'string', description } });
}

/** `POST /v1/activations` answer. */
export const activationResponseSchema = licenseAnswerSchema('The armored license file');

const featureGrant = strictObject(['code', 'users'], {
  code: text64,
  users: { type: ['integer', 'null'], minimum: 1 },
});

/** A product. */
export const productSchema = requiredObject({
  code: str,
  name: str,
  features: { type: 'array', items: requiredObject({ code: str, name: str }) },
  requiredOwnerFields: { type: 'array', items: str },
  duplicatePolicy: { type: 'string', enum: ['blacklist', 'review'] },
  createdAt: str,
});

const duplicatePolicy = {
  type: 'string',
  enum: ['blacklist', 'review'],
  description: "What a proven duplicate does: 'blacklist' at once (default) or hold it for 'review'",
} as const;

/** `PUT /v1/admin/products/:code/duplicate-policy` body. */
export const duplicatePolicyInputSchema = strictObject(['duplicatePolicy'], { duplicatePolicy });

/** A duplicate report held for review. */
export const heldDuplicateSchema = requiredObject({
  id: str,
  serial: str,
  pin: int,
  activations: { type: 'array', items: str },
  instances: { type: 'array', items: str },
  status: { type: 'string', enum: ['pending', 'accepted', 'dismissed'] },
  reports: int,
  firstAt: str,
  lastAt: str,
  clientIp: { type: ['string', 'null'] },
  decidedAt: { type: ['string', 'null'] },
  evidence: { type: 'object', additionalProperties: true },
});

/** `POST /v1/admin/products` body. */
export const productInputSchema = strictObject(['code', 'name'], {
  code: text64,
  name: name200,
  features: { type: 'array', maxItems: 1000, items: strictObject(['code'], { code: text64, name: name200 }) },
  requiredOwnerFields: { type: 'array', maxItems: 32, items: text64 },
  duplicatePolicy,
});

/** `POST /v1/admin/packages` body. */
export const packageSpecSchema = strictObject(['product', 'type'], {
  product: text64,
  type: { type: 'string', enum: [...LICENSE_TYPES] },
  users: { type: 'integer', minimum: 1 },
  sessions: { type: 'integer', minimum: 1 },
  arch: { type: 'string', enum: ['x86', 'x64'] },
  features: { type: 'array', maxItems: 1000, items: featureGrant },
  expiresAt: { type: 'string', maxLength: 40, description: 'Absolute end of the package (ISO 8601)' },
  days: { type: 'integer', minimum: 1, description: 'Validity counted from each activation' },
  pins: { type: 'integer', minimum: 1 },
  maxActive: { type: 'integer', minimum: 1 },
  policy: {
    ...policy,
    description: 'software-dongle: each PIN code is activated once, never reactivated or transferred',
  },
});

const packageFields = {
  serial: str,
  product: str,
  type: str,
  users: int,
  sessions: nullableInt,
  arch: nullableText,
  features: { type: 'array', items: featureGrant },
  expiresAt: nullableText,
  days: nullableInt,
  maxActive: int,
  policy,
} as const;

/** `POST /v1/admin/packages` answer: the PIN codes in clear, this once. */
export const issuedPackageSchema = requiredObject({
  ...packageFields,
  pins: { type: 'array', items: requiredObject({ index: int, pin: str, kind: str }) },
});

/** `GET /v1/admin/packages/:serial` answer: no PIN codes, only their state. */
export const packageViewSchema = requiredObject({
  ...packageFields,
  status: str,
  createdAt: str,
  activeCount: int,
  pins: { type: 'array', items: requiredObject({ index: int, kind: str, status: str, activationId: nullableText }) },
});

/** `/v1/admin/packages/:serial` parameters. */
export const serialParams = requiredObject({ serial: text64 });

/** An activation. */
export const activationViewSchema = requiredObject(
  {
    id: str,
    serial: str,
    pinIndex: int,
    containerId: str,
    owner,
    hardware: { anyOf: [hardwareSchema, { type: 'null', description: 'Activations by request code' }] },
    subject: nullableText,
    channel: { type: 'string', enum: ['online', 'file', 'code'] },
    requestNonce: nullableText,
    status: str,
    licenseKind: str,
    createdAt: str,
    updatedAt: str,
    retiredAt: nullableText,
    retiredReason: nullableText,
    clientIp: nullableText,
    containerKeys: { anyOf: [containerKeysSchema, { type: 'null' }] },
    counter: { type: 'integer', description: 'The highest upgrade counter issued for the container' },
    tokenKey: { ...nullableText, description: 'The hardware token key (lictor-p256:…) of a token-bound activation' },
  },
  [
    'subject',
    'channel',
    'requestNonce',
    'updatedAt',
    'retiredAt',
    'retiredReason',
    'clientIp',
    'containerKeys',
    'counter',
    'tokenKey',
  ],
);

/** `POST /v1/admin/blacklist` body. */
export const blacklistInputSchema = strictObject(['reason'], {
  serial: text64,
  activationId: text64,
  reason: { type: 'string', minLength: 1, maxLength: 500 },
});

/** An audit event. */
export const auditEventSchema = requiredObject({
  id: str,
  at: str,
  actor: str,
  action: str,
  subject: str,
  details: { type: 'object', additionalProperties: true },
});

/** `POST /v1/duplicates` body: the evidence is checked by the domain. */
export const duplicateReportBodySchema = strictObject(['evidence'], { evidence: { type: 'object' } });

/** `POST /v1/duplicates` answer. */
export const duplicateReportSchema = requiredObject(
  {
    serial: str,
    pin: int,
    blacklisted: { type: 'array', items: str },
    heldForReview: { type: 'string', description: "The held report's id, when the product's policy is 'review'" },
  },
  ['heldForReview'],
);

/** Request files are a few kilobytes; this bounds what is read of one. */
export const MAX_REQUEST_TEXT = 64 * 1024;

/** `POST /v1/offline/requests` and `/preview` body. */
export const offlineRequestBodySchema = strictObject(['request'], {
  request: {
    type: 'string',
    minLength: 1,
    maxLength: MAX_REQUEST_TEXT,
    description: 'The request file as made on the computer (LICTOR REQUEST block)',
  },
});

/** `POST /v1/offline/codes` body. */
export const offlineCodeBodySchema = strictObject(['code', 'owner'], {
  code: { type: 'string', minLength: 1, maxLength: 512, description: 'The request code as read or typed' },
  owner: ownerSchema,
});

/** What answering a request licenses. */
export const requestPreviewSchema = requiredObject({
  serial: str,
  product: str,
  productName: str,
  type: str,
  users: int,
  sessions: nullableInt,
  arch: nullableText,
  features: { type: 'array', items: featureGrant },
  expiresAt: nullableText,
  owner,
  hostname: { ...nullableText, description: 'null for request codes' },
  createdAt: str,
  pinIndex: int,
  reactivation: bool,
});

/** `POST /v1/offline/requests` answer. */
export const offlineFileAnswerSchema = licenseAnswerSchema('The armored license file; it carries the request nonce');

/** `POST /v1/offline/codes` answer. */
export const offlineCodeAnswerSchema = requiredObject({
  activationId: str,
  reactivated: bool,
  answer: { type: 'string', description: 'The answer code to read or send to the customer' },
});

/** `?limit=` of list routes. */
export function limitQuery(description: string) {
  return {
    type: 'object',
    additionalProperties: false,
    properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, description } },
  } as const;
}

const licenseEntrySchema = requiredObject({
  product: str,
  type: str,
  users: int,
  sessions: nullableInt,
  arch: nullableText,
  expiresAt: nullableText,
  features: { type: 'array', items: featureGrant },
});

const upgradeChangesProperties = {
  addFeatures: {
    type: 'array',
    maxItems: 1000,
    description: 'Features of the product to grant; users null: not counted',
    items: featureGrant,
  },
  users: {
    type: 'array',
    maxItems: 1000,
    description: "New user counts of granted features; code '*' (or the product code): the license's own users",
    items: strictObject(['code', 'users'], { code: text64, users: { type: 'integer', minimum: 1 } }),
  },
  extendDays: { type: 'integer', minimum: 1, description: 'Days added to the current end (from now if expired)' },
  expiresAt: { type: ['string', 'null'], maxLength: 40, description: 'New end (ISO 8601); null: perpetual' },
} as const;

/** `POST /v1/admin/upgrades` body. */
export const upgradeInputSchema = strictObject(['question'], {
  question: {
    type: 'string',
    minLength: 1,
    maxLength: MAX_REQUEST_TEXT,
    description: 'The question file made by the container (LICTOR QUESTION block)',
  },
  ...upgradeChangesProperties,
});

/** `POST /v1/admin/upgrades` answer. */
export const answeredUpgradeSchema = requiredObject({
  upgradeId: str,
  answer: { type: 'string', description: 'The upgraded license file, for the asking container only' },
  containerId: str,
  serial: str,
  fromCounter: int,
  toCounter: int,
  summary: requiredObject({ product: str, before: licenseEntrySchema, after: licenseEntrySchema }),
});

/** `POST /v1/admin/upgrades/confirm` body. */
export const confirmUpgradeInputSchema = strictObject(['code'], {
  code: { type: 'string', minLength: 1, maxLength: 256, description: 'The confirmation code shown by the application' },
});

/** `POST /v1/admin/upgrades/confirm` answer. */
export const confirmedUpgradeSchema = requiredObject({
  upgradeId: str,
  containerId: str,
  serial: str,
  counter: int,
  confirmedAt: str,
  alreadyConfirmed: bool,
});

/** An upgrade as listed. */
export const upgradeViewSchema = requiredObject({
  id: str,
  activationId: str,
  serial: str,
  containerId: str,
  fromCounter: int,
  toCounter: int,
  status: upgradeStatus,
  createdAt: str,
  confirmedAt: nullableText,
  changes: { type: 'object', properties: upgradeChangesProperties },
  question: str,
  answer: str,
  confirmation: nullableText,
});

/** `GET /v1/admin/activations` query. */
export const activationFilterQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    serial: { ...text64, description: 'Only this package' },
    limit: limitQuery('At most this many (default 100)').properties.limit,
  },
} as const;

/** `GET /v1/admin/upgrades` query. */
export const upgradeFilterQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    serial: activationFilterQuery.properties.serial,
    containerId: { ...text64, description: 'Only this container' },
    status: upgradeStatus,
    limit: activationFilterQuery.properties.limit,
  },
} as const;
