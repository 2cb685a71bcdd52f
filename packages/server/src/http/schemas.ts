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

const shortText = { type: 'string', maxLength: 256 } as const;
const textList = { type: 'array', maxItems: 64, items: shortText } as const;
const code = { type: 'string', minLength: 1, maxLength: 64 } as const;
const nullableInt = { type: ['integer', 'null'] } as const;
const nullableText = { type: ['string', 'null'] } as const;

/** `HardwareParams`, as collected by the SDK. */
export const hardwareSchema = {
  type: 'object',
  required: ['platform', 'osName', 'osVersion', 'hostname', 'board', 'ramBytes', 'bios', 'cpus', 'nics', 'disks'],
  additionalProperties: false,
  properties: {
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
  },
} as const;

/** Owner registration data: text fields. */
export const ownerSchema = {
  type: 'object',
  maxProperties: 32,
  additionalProperties: shortText,
  description: "Owner registration data; the product's required fields (default company and email) must be filled",
} as const;

/** A container's public keys, generated on the computer (needed for remote upgrades). */
export const containerKeysSchema = {
  type: 'object',
  required: ['sign', 'box'],
  additionalProperties: false,
  description: "The new container's public keys: Ed25519 'sign' and X25519 'box', raw, base64url",
  properties: {
    sign: { type: 'string', minLength: 1, maxLength: 64 },
    box: { type: 'string', minLength: 1, maxLength: 64 },
  },
} as const;

const tokenText = { type: 'string', maxLength: 64 } as const;

/** A token-bound activation: the claim the token signed and its signature. */
export const tokenActivationSchema = {
  type: 'object',
  required: ['claim', 'signature'],
  additionalProperties: false,
  description: 'Bind the license to this hardware token instead of the computer',
  properties: {
    claim: {
      type: 'object',
      required: ['serial', 'publicKey', 'token', 'createdAt', 'nonce'],
      additionalProperties: false,
      properties: {
        serial: { type: 'string', minLength: 1, maxLength: 64, description: 'The serial being activated' },
        publicKey: {
          type: 'string',
          minLength: 1,
          maxLength: 512,
          description: "The token's ECDSA P-256 key, lictor-p256:<base64url SPKI>",
        },
        token: {
          type: 'object',
          required: ['manufacturer', 'model', 'serial'],
          additionalProperties: false,
          properties: { manufacturer: tokenText, model: tokenText, serial: tokenText },
        },
        createdAt: {
          type: 'string',
          minLength: 1,
          maxLength: 40,
          description: "ISO 8601; within 10 minutes of the center's clock",
        },
        nonce: { type: 'string', minLength: 1, maxLength: 64, description: 'Random, base64url' },
      },
    },
    signature: {
      type: 'string',
      minLength: 1,
      maxLength: 128,
      description: 'ECDSA P-256 raw r||s over tokenActivationMessage(claim), base64url',
    },
  },
} as const;

/** `POST /v1/activations` body. */
export const activationRequestSchema = {
  type: 'object',
  required: ['serial', 'pin', 'owner', 'hardware'],
  additionalProperties: false,
  properties: {
    serial: { type: 'string', minLength: 1, maxLength: 64, description: 'Serial number as printed' },
    pin: { type: 'string', minLength: 1, maxLength: 64, description: 'PIN code as printed' },
    owner: ownerSchema,
    hardware: hardwareSchema,
    containerKeys: containerKeysSchema,
    token: tokenActivationSchema,
  },
} as const;

/** An answer that carries a license file (online and offline activation). */
function licenseAnswerSchema<D extends string>(description: D) {
  return {
    type: 'object',
    required: ['activationId', 'reactivated', 'license'],
    properties: {
      activationId: { type: 'string' },
      reactivated: { type: 'boolean' },
      license: { type: 'string', description },
    },
  } as const;
}

/** `POST /v1/activations` answer. */
export const activationResponseSchema = licenseAnswerSchema('The armored license file');

const featureGrant = {
  type: 'object',
  required: ['code', 'users'],
  additionalProperties: false,
  properties: { code, users: { type: ['integer', 'null'], minimum: 1 } },
} as const;

/** A product. */
export const productSchema = {
  type: 'object',
  required: ['code', 'name', 'features', 'requiredOwnerFields', 'createdAt'],
  properties: {
    code: { type: 'string' },
    name: { type: 'string' },
    features: {
      type: 'array',
      items: {
        type: 'object',
        required: ['code', 'name'],
        properties: { code: { type: 'string' }, name: { type: 'string' } },
      },
    },
    requiredOwnerFields: { type: 'array', items: { type: 'string' } },
    createdAt: { type: 'string' },
  },
} as const;

/** `POST /v1/admin/products` body. */
export const productInputSchema = {
  type: 'object',
  required: ['code', 'name'],
  additionalProperties: false,
  properties: {
    code,
    name: { type: 'string', minLength: 1, maxLength: 200 },
    features: {
      type: 'array',
      maxItems: 1000,
      items: {
        type: 'object',
        required: ['code'],
        additionalProperties: false,
        properties: { code, name: { type: 'string', minLength: 1, maxLength: 200 } },
      },
    },
    requiredOwnerFields: { type: 'array', maxItems: 32, items: code },
  },
} as const;

/** `POST /v1/admin/packages` body. */
export const packageSpecSchema = {
  type: 'object',
  required: ['product', 'type'],
  additionalProperties: false,
  properties: {
    product: code,
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
      type: 'string',
      enum: ['standard', 'software-dongle'],
      description: 'software-dongle: each PIN code is activated once, never reactivated or transferred',
    },
  },
} as const;

const packageFields = {
  serial: { type: 'string' },
  product: { type: 'string' },
  type: { type: 'string' },
  users: { type: 'integer' },
  sessions: nullableInt,
  arch: nullableText,
  features: { type: 'array', items: featureGrant },
  expiresAt: nullableText,
  days: nullableInt,
  maxActive: { type: 'integer' },
  policy: { type: 'string', enum: ['standard', 'software-dongle'] },
} as const;
const packageRequired = [
  'serial',
  'product',
  'type',
  'users',
  'sessions',
  'arch',
  'features',
  'expiresAt',
  'days',
  'maxActive',
  'policy',
  'pins',
] as const;

/** `POST /v1/admin/packages` answer: the PIN codes in clear, this once. */
export const issuedPackageSchema = {
  type: 'object',
  required: packageRequired,
  properties: {
    ...packageFields,
    pins: {
      type: 'array',
      items: {
        type: 'object',
        required: ['index', 'pin', 'kind'],
        properties: { index: { type: 'integer' }, pin: { type: 'string' }, kind: { type: 'string' } },
      },
    },
  },
} as const;

/** `GET /v1/admin/packages/:serial` answer: no PIN codes, only their state. */
export const packageViewSchema = {
  type: 'object',
  required: [...packageRequired, 'status', 'createdAt', 'activeCount'],
  properties: {
    ...packageFields,
    status: { type: 'string' },
    createdAt: { type: 'string' },
    activeCount: { type: 'integer' },
    pins: {
      type: 'array',
      items: {
        type: 'object',
        required: ['index', 'kind', 'status', 'activationId'],
        properties: {
          index: { type: 'integer' },
          kind: { type: 'string' },
          status: { type: 'string' },
          activationId: nullableText,
        },
      },
    },
  },
} as const;

/** An activation. */
export const activationViewSchema = {
  type: 'object',
  required: ['id', 'serial', 'pinIndex', 'containerId', 'owner', 'hardware', 'status', 'licenseKind', 'createdAt'],
  properties: {
    id: { type: 'string' },
    serial: { type: 'string' },
    pinIndex: { type: 'integer' },
    containerId: { type: 'string' },
    owner: { type: 'object', additionalProperties: { type: 'string' } },
    hardware: { anyOf: [hardwareSchema, { type: 'null', description: 'Activations by request code' }] },
    subject: nullableText,
    channel: { type: 'string', enum: ['online', 'file', 'code'] },
    requestNonce: nullableText,
    status: { type: 'string' },
    licenseKind: { type: 'string' },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
    retiredAt: nullableText,
    retiredReason: nullableText,
    clientIp: nullableText,
    containerKeys: { anyOf: [containerKeysSchema, { type: 'null' }] },
    counter: { type: 'integer', description: 'The highest upgrade counter issued for the container' },
    tokenKey: { ...nullableText, description: 'The hardware token key (lictor-p256:…) of a token-bound activation' },
  },
} as const;

/** `POST /v1/admin/blacklist` body. */
export const blacklistInputSchema = {
  type: 'object',
  required: ['reason'],
  additionalProperties: false,
  properties: {
    serial: { type: 'string', minLength: 1, maxLength: 64 },
    activationId: { type: 'string', minLength: 1, maxLength: 64 },
    reason: { type: 'string', minLength: 1, maxLength: 500 },
  },
} as const;

/** An audit event. */
export const auditEventSchema = {
  type: 'object',
  required: ['id', 'at', 'actor', 'action', 'subject', 'details'],
  properties: {
    id: { type: 'string' },
    at: { type: 'string' },
    actor: { type: 'string' },
    action: { type: 'string' },
    subject: { type: 'string' },
    details: { type: 'object', additionalProperties: true },
  },
} as const;

/** Request files are a few kilobytes; this bounds what is read of one. */
export const MAX_REQUEST_TEXT = 64 * 1024;

/** `POST /v1/offline/requests` and `/preview` body. */
export const offlineRequestBodySchema = {
  type: 'object',
  required: ['request'],
  additionalProperties: false,
  properties: {
    request: {
      type: 'string',
      minLength: 1,
      maxLength: MAX_REQUEST_TEXT,
      description: 'The request file as made on the computer (LICTOR REQUEST block)',
    },
  },
} as const;

/** `POST /v1/offline/codes` body. */
export const offlineCodeBodySchema = {
  type: 'object',
  required: ['code', 'owner'],
  additionalProperties: false,
  properties: {
    code: { type: 'string', minLength: 1, maxLength: 512, description: 'The request code as read or typed' },
    owner: ownerSchema,
  },
} as const;

/** What answering a request licenses. */
export const requestPreviewSchema = {
  type: 'object',
  required: [
    'serial',
    'product',
    'productName',
    'type',
    'users',
    'sessions',
    'arch',
    'features',
    'expiresAt',
    'owner',
    'hostname',
    'createdAt',
    'pinIndex',
    'reactivation',
  ],
  properties: {
    serial: { type: 'string' },
    product: { type: 'string' },
    productName: { type: 'string' },
    type: { type: 'string' },
    users: { type: 'integer' },
    sessions: nullableInt,
    arch: nullableText,
    features: { type: 'array', items: featureGrant },
    expiresAt: nullableText,
    owner: { type: 'object', additionalProperties: { type: 'string' } },
    hostname: { ...nullableText, description: 'null for request codes' },
    createdAt: { type: 'string' },
    pinIndex: { type: 'integer' },
    reactivation: { type: 'boolean' },
  },
} as const;

/** `POST /v1/offline/requests` answer. */
export const offlineFileAnswerSchema = licenseAnswerSchema('The armored license file; it carries the request nonce');

/** `POST /v1/offline/codes` answer. */
export const offlineCodeAnswerSchema = {
  type: 'object',
  required: ['activationId', 'reactivated', 'answer'],
  properties: {
    activationId: { type: 'string' },
    reactivated: { type: 'boolean' },
    answer: { type: 'string', description: 'The answer code to read or send to the customer' },
  },
} as const;

/** `?limit=` of list routes. */
export function limitQuery(description: string) {
  return {
    type: 'object',
    additionalProperties: false,
    properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, description } },
  } as const;
}

const licenseEntrySchema = {
  type: 'object',
  required: ['product', 'type', 'users', 'sessions', 'arch', 'expiresAt', 'features'],
  properties: {
    product: { type: 'string' },
    type: { type: 'string' },
    users: { type: 'integer' },
    sessions: nullableInt,
    arch: nullableText,
    expiresAt: nullableText,
    features: { type: 'array', items: featureGrant },
  },
} as const;

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
    items: {
      type: 'object',
      required: ['code', 'users'],
      additionalProperties: false,
      properties: { code, users: { type: 'integer', minimum: 1 } },
    },
  },
  extendDays: { type: 'integer', minimum: 1, description: 'Days added to the current end (from now if expired)' },
  expiresAt: { type: ['string', 'null'], maxLength: 40, description: 'New end (ISO 8601); null: perpetual' },
} as const;

/** `POST /v1/admin/upgrades` body. */
export const upgradeInputSchema = {
  type: 'object',
  required: ['question'],
  additionalProperties: false,
  properties: {
    question: {
      type: 'string',
      minLength: 1,
      maxLength: MAX_REQUEST_TEXT,
      description: 'The question file made by the container (LICTOR QUESTION block)',
    },
    ...upgradeChangesProperties,
  },
} as const;

/** `POST /v1/admin/upgrades` answer. */
export const answeredUpgradeSchema = {
  type: 'object',
  required: ['upgradeId', 'answer', 'containerId', 'serial', 'fromCounter', 'toCounter', 'summary'],
  properties: {
    upgradeId: { type: 'string' },
    answer: { type: 'string', description: 'The upgraded license file, for the asking container only' },
    containerId: { type: 'string' },
    serial: { type: 'string' },
    fromCounter: { type: 'integer' },
    toCounter: { type: 'integer' },
    summary: {
      type: 'object',
      required: ['product', 'before', 'after'],
      properties: { product: { type: 'string' }, before: licenseEntrySchema, after: licenseEntrySchema },
    },
  },
} as const;

/** `POST /v1/admin/upgrades/confirm` body. */
export const confirmUpgradeInputSchema = {
  type: 'object',
  required: ['code'],
  additionalProperties: false,
  properties: {
    code: {
      type: 'string',
      minLength: 1,
      maxLength: 256,
      description: 'The confirmation code shown by the application',
    },
  },
} as const;

/** `POST /v1/admin/upgrades/confirm` answer. */
export const confirmedUpgradeSchema = {
  type: 'object',
  required: ['upgradeId', 'containerId', 'serial', 'counter', 'confirmedAt', 'alreadyConfirmed'],
  properties: {
    upgradeId: { type: 'string' },
    containerId: { type: 'string' },
    serial: { type: 'string' },
    counter: { type: 'integer' },
    confirmedAt: { type: 'string' },
    alreadyConfirmed: { type: 'boolean' },
  },
} as const;

/** An upgrade as listed. */
export const upgradeViewSchema = {
  type: 'object',
  required: [
    'id',
    'activationId',
    'serial',
    'containerId',
    'fromCounter',
    'toCounter',
    'status',
    'createdAt',
    'confirmedAt',
    'changes',
    'question',
    'answer',
    'confirmation',
  ],
  properties: {
    id: { type: 'string' },
    activationId: { type: 'string' },
    serial: { type: 'string' },
    containerId: { type: 'string' },
    fromCounter: { type: 'integer' },
    toCounter: { type: 'integer' },
    status: { type: 'string', enum: ['pending', 'confirmed', 'superseded'] },
    createdAt: { type: 'string' },
    confirmedAt: nullableText,
    changes: { type: 'object', properties: upgradeChangesProperties },
    question: { type: 'string' },
    answer: { type: 'string' },
    confirmation: nullableText,
  },
} as const;
