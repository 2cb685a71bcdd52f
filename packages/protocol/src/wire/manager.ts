/**
 * The License Manager's HTTP/JSON messages, each declared once: the TypeScript type is derived
 * (`Static`), the manager validates and serializes with the schema (Fastify), the SDK checks
 * every answer it relies on against it ({@link wireProblem}), and OpenAPI names it.
 */
import { type Static, Type } from 'typebox';
import { BORROW_RETURN_HEADER } from '../borrow.js';
import { MAX_BORROW_DAYS } from '../license.js';
import { ANSWER_NONCE_HEADER, ANSWER_SESSION_HEADER, ANSWER_SESSION_HEADER_PATTERN } from '../seat-proof.js';
import { DONGLE_MESSAGES } from './dongles.js';
import { NullableInteger, NullableString, StringEnum } from './schema.js';

const text128 = Type.String({ maxLength: 128 });
const name128 = Type.String({ minLength: 1, maxLength: 128 });
const isoTime = (description = 'ISO 8601 time') => Type.String({ format: 'date-time', description });

/** Where a license came from; software licenses are used before token (dongle) licenses. */
export const LICENSE_SOURCES = ['software', 'token'] as const;
/** Where a license came from: `software` or `token`. */
export type LicenseSource = (typeof LICENSE_SOURCES)[number];

/** Who asks for a seat: one client application on one computer. */
export const ClientIdentity = Type.Object(
  { host: name128, user: text128, process: text128, session: text128 },
  { additionalProperties: false, description: 'Who holds a lease; the same identity gets its existing lease back' },
);
/** Who asks for a seat: one client application on one computer. */
export type ClientIdentity = Static<typeof ClientIdentity>;

/** `POST /v1/leases` body: a seat of `product` (and of `feature`, when given). */
export const AcquireBody = Type.Object(
  {
    product: name128,
    feature: Type.Optional(name128),
    client: ClientIdentity,
    leaseId: Type.Optional({
      ...name128,
      description: 'The lease the client believes it holds (after a reconnect); ignored if it is not theirs',
    }),
  },
  { additionalProperties: false },
);
/** `POST /v1/leases` body. */
export type AcquireBody = Static<typeof AcquireBody>;

/** A lease as clients see it. */
export const LeaseBody = Type.Object({
  id: Type.String(),
  product: Type.String(),
  feature: NullableString({ description: 'The feature the lease was taken for, or null for the product alone' }),
  licenseId: Type.String(),
  source: StringEnum(LICENSE_SOURCES),
  grantedAt: isoTime(),
  expiresAt: isoTime('The lease deadline if no heartbeat comes'),
  heartbeatIntervalMs: Type.Number({ exclusiveMinimum: 0 }),
  graceMs: Type.Optional(
    Type.Integer({
      minimum: 1,
      description:
        "The license's grace period: the manager keeps the seat this long after the last heartbeat, and the client keeps it as long when the manager cannot be reached",
    }),
  ),
});
/** A lease as clients see it. */
export type LeaseBody = Static<typeof LeaseBody>;

/**
 * The headers of the lease routes that ask the manager to prove its answer (signed seats,
 * `seat-proof.ts`): headers rather than body fields, so that a heartbeat stays a request without
 * a body. The manager also requires the nonce's canonical base64url spelling.
 */
export const ProofHeaders = Type.Object({
  [ANSWER_NONCE_HEADER]: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9_-]{22,86}$',
      description:
        'A fresh nonce (base64url of 16 to 64 random bytes): the answer carries a proof over it of the license the seat came from',
    }),
  ),
  [ANSWER_SESSION_HEADER]: Type.Optional(
    Type.String({
      pattern: ANSWER_SESSION_HEADER_PATTERN,
      description:
        "The client's proof session: its id, with the session secret sealed to the license's container key (`<id>.<sealed>`) until the manager answered with a MAC under it",
    }),
  ),
});
/** The headers of the lease routes that ask for a proof. */
export type ProofHeaders = Static<typeof ProofHeaders>;

/** What proves a lease answer: the license's container key (a signature) or the client's session (a MAC). */
export const SEAT_PROOF_KEYS = ['container', 'session'] as const;

/**
 * The proof that a lease answer comes from a holder of a genuine license (`seat-proof.ts`):
 * `{ key: 'container', license, signature }`, or `{ key: 'session', mac }` within the client's
 * session. Sent when the request carried a nonce and the license the seat came from can sign.
 */
export const SeatProof = Type.Object(
  {
    key: StringEnum(SEAT_PROOF_KEYS),
    license: Type.Optional(
      Type.String({
        maxLength: 65_536,
        description: "key 'container': the vendor-signed license file naming the signing key",
      }),
    ),
    signature: Type.Optional(
      Type.String({
        maxLength: 128,
        description: "key 'container': Ed25519 of the license's container key over the signed-answer bytes, base64url",
      }),
    ),
    mac: Type.Optional(
      Type.String({ maxLength: 64, description: "key 'session': HMAC-SHA256 under the session secret, base64url" }),
    ),
  },
  { description: 'Proof that the answer comes from a holder of a genuine license, over the request nonce' },
);
/** The proof of a lease answer. */
export type SeatProof = Static<typeof SeatProof>;

/**
 * The answer to `POST /v1/leases`: granted (201) or renewed (200, the client's own lease), with
 * its proof when the request carried a nonce.
 */
export const AcquireAnswer = Type.Object({
  lease: LeaseBody,
  renewed: Type.Boolean(),
  proof: Type.Optional(SeatProof),
});
/** The answer to `POST /v1/leases`. */
export type AcquireAnswer = Static<typeof AcquireAnswer>;

/** The answer to `POST /v1/leases/{id}/heartbeat`, with its proof when the request carried a nonce. */
export const HeartbeatAnswer = Type.Object({ lease: LeaseBody, proof: Type.Optional(SeatProof) });
/** The answer to `POST /v1/leases/{id}/heartbeat`. */
export type HeartbeatAnswer = Static<typeof HeartbeatAnswer>;

/** The computer a borrowed seat is bound to, as the borrowing SDK computes it (`borrow.ts`). */
export const BorrowComputerBody = Type.Object(
  {
    machine: Type.String({ pattern: '^[0-9a-f]{16}$', description: "The computer's machine tag (hex)" }),
    hardware: Type.String({
      pattern: '^[A-Za-z0-9_-]{14}$',
      description: "Digest of the computer's platform, motherboard, processors and drives (base64url)",
    }),
  },
  { additionalProperties: false },
);

/** `POST /v1/borrows` body: a seat of `product` (and `feature`) lent to this computer for `days`. */
export const BorrowRequest = Type.Object(
  {
    product: name128,
    feature: Type.Optional(name128),
    days: Type.Integer({
      minimum: 1,
      maximum: MAX_BORROW_DAYS,
      description: 'Days to borrow the seat for; at most what the license allows (its borrowDays)',
    }),
    client: ClientIdentity,
    computer: BorrowComputerBody,
    returnKey: Type.String({
      pattern: '^[A-Za-z0-9_-]{43}$',
      description:
        'SHA-256 (base64url) of the secret that gives the seat back early; the secret itself is sent only then',
    }),
  },
  { additionalProperties: false },
);
/** `POST /v1/borrows` body. */
export type BorrowRequest = Static<typeof BorrowRequest>;

/** A borrowed seat: what the manager signs (purpose `borrow`) and the computer keeps. */
export const BorrowedSeatBody = Type.Object({
  id: Type.String(),
  product: Type.String(),
  feature: NullableString({ description: 'The feature borrowed, or null for the product alone' }),
  licenseId: Type.String(),
  serial: Type.String({ description: 'The serial of the license the seat comes from (the one the proof carries)' }),
  computer: BorrowComputerBody,
  grantedAt: isoTime(),
  until: isoTime('The seat returns to the manager by itself at this time'),
});
/** A borrowed seat. */
export type BorrowedSeatBody = Static<typeof BorrowedSeatBody>;

/** The answer to `POST /v1/borrows` (201): the borrowed seat, signed over the request nonce. */
export const BorrowAnswer = Type.Object({ borrow: BorrowedSeatBody, proof: Type.Optional(SeatProof) });
/** The answer to `POST /v1/borrows`. */
export type BorrowAnswer = Static<typeof BorrowAnswer>;

/** The header of `DELETE /v1/borrows/{id}`: the secret whose digest was sent at borrowing. */
export const BorrowReturnHeaders = Type.Object({
  [BORROW_RETURN_HEADER]: Type.String({
    pattern: '^[A-Za-z0-9_-]{43}$',
    description: 'The return secret (base64url of 32 bytes) whose SHA-256 the borrow request carried',
  }),
});

/** A borrowed seat as administrators see it: the seat and who borrowed it. */
export const AdminBorrowedSeat = Type.Object({
  ...BorrowedSeatBody.properties,
  client: ClientIdentity,
});
/** A borrowed seat as administrators see it. */
export type AdminBorrowedSeat = Static<typeof AdminBorrowedSeat>;

/** `GET /v1/admin/borrows`. */
export const AdminBorrowList = Type.Object({ borrows: Type.Array(AdminBorrowedSeat) });
/** `GET /v1/admin/borrows`. */
export type AdminBorrowList = Static<typeof AdminBorrowList>;

/** `{id}` of the lease routes. */
export const LeaseIdParams = Type.Object({ id: name128 });

/** The longest an administrator can keep a client from a seat it was released from: 30 days. */
export const MAX_ADMIN_BLOCK_SECONDS = 30 * 24 * 60 * 60;

/** `DELETE /v1/admin/leases/{id}` query. */
export const AdminReleaseQuery = Type.Object(
  {
    blockSeconds: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_ADMIN_BLOCK_SECONDS,
        default: 0,
        description:
          'Keep the client from taking a seat again for this long (it gets LICTOR_E_LEASE_REVOKED); 0: it may at once',
      }),
    ),
  },
  { additionalProperties: false },
);

/** Seats of one product, summed over its licenses. */
export const ProductStatus = Type.Object({ product: Type.String(), inUse: Type.Integer(), total: Type.Integer() });
/** Seats of one product, summed over its licenses. */
export type ProductStatus = Static<typeof ProductStatus>;

/** `GET /v1/status` query: the seats of one product only (what the SDK asks, so that a license of it proves them). */
export const StatusQuery = Type.Object(
  {
    product: Type.Optional({
      ...name128,
      description:
        'Only this product: the answer lists it alone (or nothing when the manager holds no license of it), proven by the key of a license of it',
    }),
  },
  { additionalProperties: false },
);
/** `GET /v1/status` query. */
export type StatusQuery = Static<typeof StatusQuery>;

/**
 * `GET /v1/status`: who the manager is, its timings and the seats per product; with its proof
 * (purpose `status`) when the request carried a nonce and the manager holds a license that can
 * sign: a license of the product asked for, else any (see `docs/manager-protocol.md`).
 */
export const ManagerStatus = Type.Object({
  manager: Type.Object({ id: Type.String(), version: Type.String() }),
  heartbeatIntervalMs: Type.Number({ exclusiveMinimum: 0 }),
  leaseTtlMs: Type.Number({ exclusiveMinimum: 0 }),
  products: Type.Array(ProductStatus),
  proof: Type.Optional(SeatProof),
});
/** `GET /v1/status`. */
export type ManagerStatus = Static<typeof ManagerStatus>;

/** A lease as administrators see it: the lease, its holder and its last heartbeat. */
export const AdminLeaseBody = Type.Object({
  ...LeaseBody.properties,
  client: ClientIdentity,
  heartbeatAt: isoTime(),
});
/** A lease as administrators see it. */
export type AdminLeaseBody = Static<typeof AdminLeaseBody>;

/** `GET /v1/admin/leases`. */
export const AdminLeaseList = Type.Object({ leases: Type.Array(AdminLeaseBody) });
/** `GET /v1/admin/leases`. */
export type AdminLeaseList = Static<typeof AdminLeaseList>;

/** Seats in use of one feature of a license; `total: null`: not counted. */
export const FeatureUsage = Type.Object({ code: Type.String(), inUse: Type.Integer(), total: NullableInteger() });
/** Seats in use of one feature of a license. */
export type FeatureUsage = Static<typeof FeatureUsage>;

/** Seats in use of one license; a removed license still holding leases reports `total: 0`. */
export const LicenseUsage = Type.Object({
  product: Type.String(),
  licenseId: Type.String(),
  serial: NullableString({ description: 'The package serial the customer holds; null when the license has none' }),
  inUse: Type.Integer(),
  total: Type.Integer(),
  source: StringEnum(LICENSE_SOURCES),
  features: Type.Array(FeatureUsage),
});
/** Seats in use of one license. */
export type LicenseUsage = Static<typeof LicenseUsage>;

/** `GET /v1/admin/usage`. */
export const UsageList = Type.Object({ usage: Type.Array(LicenseUsage) });
/** `GET /v1/admin/usage`. */
export type UsageList = Static<typeof UsageList>;

/**
 * The kinds of {@link ManagerEvent}. `renewed` is no longer recorded (the manager counts renewals
 * instead of listing them); it stays listed so that older readers keep working.
 */
export const MANAGER_EVENT_KINDS = [
  'granted',
  'renewed',
  'released',
  'expired',
  'refused',
  'licenses-changed',
  'restored',
  'access-rules-loaded',
  'access-rules-rejected',
  'borrowed',
  'returned',
] as const;
/** What happened in the manager. */
export type ManagerEventKind = (typeof MANAGER_EVENT_KINDS)[number];

/** One event of the manager's log, newest kept in a ring buffer. */
export const ManagerEvent = Type.Object({
  at: isoTime(),
  kind: StringEnum(MANAGER_EVENT_KINDS),
  leaseId: Type.Optional(Type.String()),
  product: Type.Optional(Type.String()),
  client: Type.Optional(ClientIdentity),
  detail: Type.Optional(Type.String()),
});
/** One event of the manager's log. */
export type ManagerEvent = Static<typeof ManagerEvent>;

/** `GET /v1/admin/events`. */
export const ManagerEventList = Type.Object({ events: Type.Array(ManagerEvent) });
/** `GET /v1/admin/events`. */
export type ManagerEventList = Static<typeof ManagerEventList>;

/** `GET /v1/admin/events` query. */
export const ManagerEventQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })) },
  { additionalProperties: false },
);

/**
 * The manager's named messages, as they appear in `components.schemas` of its OpenAPI
 * document (request and answer bodies).
 */
export const MANAGER_MESSAGES = {
  AcquireBody,
  AcquireAnswer,
  HeartbeatAnswer,
  ManagerStatus,
  AdminLeaseList,
  UsageList,
  ManagerEventList,
  BorrowRequest,
  BorrowAnswer,
  AdminBorrowList,
  ...DONGLE_MESSAGES,
} as const;
