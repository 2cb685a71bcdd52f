/**
 * The Lictor Runtime's HTTP/JSON messages (`lictor runtime serve`: the local licensing service
 * that applications in any language ask over a Unix socket or loopback HTTP), each declared
 * once: the runtime validates and serializes with them, its OpenAPI document names them, and
 * clients check answers against them. See `docs/runtime.md`.
 *
 * Every answer that grants something (a check, a session, a seat) carries a `proof`: the
 * container key of the vendor-signed license that grants signs it over the request's `nonce`
 * (signed answers, the License Manager's mechanism; `runtime-answer.ts`, and
 * `docs/spec/signed-answers.md` for clients). A license that cannot sign here answers with
 * `proof: null` and `unproven`, which clients refuse.
 */
import { type Static, Type } from 'typebox';
import { MAX_SIGNED_STATEMENT_LENGTH } from '../runtime-answer.js';
import { ANSWER_SESSION_HEADER, ANSWER_SESSION_HEADER_PATTERN } from '../seat-proof.js';
import { NullableInteger, NullableString, StringEnum, StringMap } from './schema.js';

const name128 = Type.String({ minLength: 1, maxLength: 128 });
const shortText = Type.String({ maxLength: 256 });
const isoTime = (description = 'ISO 8601 time') => Type.String({ format: 'date-time', description });
/** License files, request files and upgrade answers are a few kilobytes; this bounds one. */
const fileText = (description: string) => Type.String({ minLength: 1, maxLength: 64 * 1024, description });

/** The application's fields of every licensing request: whose key, which product, what kind of process. */
const application = {
  publicKey: Type.String({
    minLength: 1,
    maxLength: 512,
    description: 'The vendor public key the application embeds (lictor-ed25519:…); licenses must be signed with it',
  }),
  product: name128,
  role: Type.Optional(
    StringEnum(['client', 'server'] as const, {
      description: 'What the application is (default client); see docs/rules.md',
    }),
  ),
  bitness: Type.Optional(
    Type.Unsafe<32 | 64>({ type: 'integer', enum: [32, 64], description: 'Bitness of the application (default 64)' }),
  ),
};

/**
 * The application's fresh nonce: base64url of 16–64 random bytes. The runtime signs what it
 * grants over it (signed answers), so that an answer recorded for another request is refused.
 */
export const Nonce = Type.String({
  pattern: '^[A-Za-z0-9_-]{22,86}$',
  description: 'A fresh random nonce for this request, base64url of 16–64 bytes; grants are signed over it',
});

/**
 * The proof of a runtime answer: the License Manager's (`license`, `key`, `signature`) plus the
 * statement signed, `signed`. A client verifies Ed25519 with the license's container key over
 * `lictor/v1/signed-answer ‖ 0x00 ‖ UTF-8(signed)`, then reads nonce, purpose and answer from `signed`.
 */
export const RuntimeAnswerProof = Type.Object(
  {
    license: Type.String({
      maxLength: 65_536,
      description: 'The vendor-signed license file (armored) that grants, naming the signing container key',
    }),
    key: StringEnum(['container'] as const, { description: "Which key of the license signed: its container's" }),
    signature: Type.String({
      maxLength: 128,
      description: 'Ed25519 of the container key over lictor/v1/signed-answer, a NUL, then UTF-8 of signed; base64url',
    }),
    signed: Type.String({
      maxLength: MAX_SIGNED_STATEMENT_LENGTH,
      description:
        'The canonical JSON signed: {"answer":…,"container":…,"nonce":…,"purpose":…}; take the answer from here',
    }),
  },
  { description: 'Proof that the answer comes from a holder of the granting license, over the request nonce' },
);
/** The proof of a runtime answer. */
export type RuntimeAnswerProof = Static<typeof RuntimeAnswerProof>;

/**
 * The proof of a runtime answer within the application's session (header `lictor-session`):
 * HMAC-SHA256 under the session secret over `lictor/v1/signed-answer ‖ 0x00 ‖ UTF-8(signed)`. No
 * license: the application holds the one it sealed its session to.
 */
export const RuntimeSessionProof = Type.Object(
  {
    key: StringEnum(['session'] as const, { description: "MAC'd under the application's session" }),
    mac: Type.String({
      maxLength: 64,
      description:
        'HMAC-SHA256 under the session secret over lictor/v1/signed-answer, a NUL, then UTF-8 of signed; base64url',
    }),
    signed: Type.String({
      maxLength: MAX_SIGNED_STATEMENT_LENGTH,
      description:
        'The canonical JSON MAC\'d: {"answer":…,"container":…,"nonce":…,"purpose":…}; take the answer from here',
    }),
  },
  {
    description:
      "Proof within the application's session that the answer comes from a holder of the license it sealed its session to",
  },
);
/** The proof of a runtime answer within a session. */
export type RuntimeSessionProof = Static<typeof RuntimeSessionProof>;

/**
 * The header of `POST /v1/check` and `POST /v1/sessions` that names the application's answer
 * session (`docs/spec/signed-answers.md`, "Sessions with the runtime"): `<id>.<sealed>` until an
 * answer comes MAC'd, then `<id>`. Absent, or a session the runtime does not hold: signed answers.
 */
export const RuntimeProofHeaders = Type.Object({
  [ANSWER_SESSION_HEADER]: Type.Optional(
    Type.String({
      pattern: ANSWER_SESSION_HEADER_PATTERN,
      description:
        "The application's answer session: its id, with the session secret sealed to the granting license's container key (`<id>.<sealed>`) until the runtime answered with a MAC under it",
    }),
  ),
});
/** The headers of the check and session routes. */
export type RuntimeProofHeaders = Static<typeof RuntimeProofHeaders>;

/** Why a granting answer carries no proof (`proof: null`): clients refuse it. */
export const RuntimeUnproven = Type.Object(
  {
    reason: StringEnum(['no-key', 'key-unavailable'] as const, {
      description:
        "no-key: the granting license names no container key (activated before containers had keys); key-unavailable: its container's private key does not open on this computer",
    }),
    message: Type.String(),
  },
  { description: 'Why the answer is not signed; present only with proof: null' },
);
/** Why a granting answer carries no proof. */
export type RuntimeUnproven = Static<typeof RuntimeUnproven>;

/** `proof` and `unproven` of an answer that grants: signed, MAC'd within a session, or `null` with the reason. */
const proven = {
  proof: Type.Union([RuntimeAnswerProof, RuntimeSessionProof, Type.Null()]),
  unproven: Type.Optional(RuntimeUnproven),
};

/** `POST /v1/check` body: is the product (or a feature of it) licensed on this computer? */
export const CheckBody = Type.Object(
  { ...application, feature: Type.Optional(name128), nonce: Nonce },
  { additionalProperties: false },
);
/** `POST /v1/check` body. */
export type CheckBody = Static<typeof CheckBody>;

/** What a license grants, as the runtime answers a check (the SDK's `check()` result). */
export const GrantedLicense = Type.Object({
  product: Type.String(),
  feature: NullableString({ description: 'The feature asked for, or null for the product alone' }),
  serial: Type.String(),
  licenseId: Type.String({ description: '<activation id>:<product>, as the License Manager names licenses' }),
  type: Type.String({ description: 'single, multi, server or server-sessions' }),
  users: NullableInteger({ description: 'Users granted for the feature, null: not counted' }),
  expiresAt: NullableString({ format: 'date-time', description: 'null: perpetual' }),
  file: Type.String({ description: 'The license file that grants it' }),
});
/** What a license grants. */
export type GrantedLicense = Static<typeof GrantedLicense>;

/** The answer to `POST /v1/check` when the product (feature) is licensed; refusals are error answers. */
export const CheckAnswer = Type.Object({ ...GrantedLicense.properties, ...proven });
/** The answer to `POST /v1/check`. */
export type CheckAnswer = Static<typeof CheckAnswer>;

/** `POST /v1/sessions` body: a process of the application starts using a license file. */
export const SessionBody = Type.Object(
  {
    ...application,
    feature: Type.Optional(name128),
    pid: Type.Integer({ minimum: 1, maximum: 2 ** 31 - 1, description: "The calling process's id" }),
    osSession: Type.Optional({
      ...name128,
      description:
        "The process's OS session, used only where the runtime cannot ask the OS (Linux: read from /proc, this is ignored)",
    }),
    nonce: Nonce,
  },
  { additionalProperties: false },
);
/** `POST /v1/sessions` body. */
export type SessionBody = Static<typeof SessionBody>;

/** A session: one process using one license file. */
export const RuntimeSession = Type.Object({
  id: Type.String(),
  product: Type.String(),
  feature: NullableString(),
  serial: Type.String(),
  licenseId: Type.String(),
  licenseFile: Type.String({ description: 'The license file the session counts against' }),
  pid: Type.Integer(),
  osSession: Type.String({ description: 'The OS session of the process (Linux: its session id)' }),
  openedAt: isoTime(),
  ...proven,
});
/** A session. */
export type RuntimeSession = Static<typeof RuntimeSession>;

/** `{id}` of the session and seat routes. */
export const RuntimeIdParams = Type.Object({ id: name128 });

/** `POST /v1/seats` body: a floating seat from a License Manager, held by the runtime for the application. */
export const SeatBody = Type.Object(
  {
    publicKey: application.publicKey,
    product: name128,
    feature: Type.Optional(name128),
    managers: Type.Optional(
      Type.Array(shortText, {
        minItems: 1,
        maxItems: 16,
        description: 'Manager addresses to try in order; default lictor.ini, LICTOR_MANAGER, then discovery',
      }),
    ),
    pid: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 2 ** 31 - 1,
        description: 'The calling process: the seat is given back when it exits',
      }),
    ),
    nonce: Nonce,
  },
  { additionalProperties: false },
);
/** `POST /v1/seats` body. */
export type SeatBody = Static<typeof SeatBody>;

/** The states of a seat: held, lost (the runtime keeps trying to take it again), given back. */
export const SEAT_STATES = ['active', 'lost', 'released'] as const;

/** A floating seat the runtime holds for an application. */
export const RuntimeSeat = Type.Object({
  id: Type.String({ description: "The runtime's id of the seat (stable while the lease id may change)" }),
  leaseId: Type.String(),
  product: Type.String(),
  feature: NullableString(),
  manager: Type.String({ description: 'Base URL of the License Manager holding the lease' }),
  state: StringEnum(SEAT_STATES),
  expiresAt: isoTime("The manager's deadline for the next heartbeat"),
  heartbeatIntervalMs: Type.Number({ exclusiveMinimum: 0 }),
  pid: NullableInteger(),
  proof: {
    ...RuntimeAnswerProof,
    description:
      "The License Manager's signature of its lease answer over the application's nonce (purpose lease), with the statement signed",
  },
});
/** A floating seat the runtime holds. */
export type RuntimeSeat = Static<typeof RuntimeSeat>;

const licensingFields = { publicKey: application.publicKey, product: name128 };
const owner = StringMap(shortText, {
  maxProperties: 32,
  description: "Owner registration data; the product's required fields (default company and email) must be filled",
});
const activationFields = {
  ...licensingFields,
  serial: Type.String({ minLength: 1, maxLength: 64 }),
  pin: Type.String({ minLength: 1, maxLength: 64 }),
  owner,
};

/** `POST /v1/activations` body: online activation through the License Center. */
export const RuntimeActivationBody = Type.Object(
  { ...activationFields, center: Type.String({ minLength: 1, maxLength: 2048, description: 'License Center URL' }) },
  { additionalProperties: false },
);
/** `POST /v1/activations` body. */
export type RuntimeActivationBody = Static<typeof RuntimeActivationBody>;

/** The answer to `POST /v1/activations`. */
export const RuntimeActivationAnswer = Type.Object({
  activationId: Type.String(),
  serial: Type.String(),
  reactivated: Type.Boolean(),
  file: Type.String({ description: 'Where the license file was written' }),
});
/** The answer to `POST /v1/activations`. */
export type RuntimeActivationAnswer = Static<typeof RuntimeActivationAnswer>;

/** `POST /v1/activation-requests` body: an offline request, as a file or a short code. */
export const ActivationRequestBody = Type.Object(
  { ...activationFields, kind: StringEnum(['file', 'code'] as const) },
  { additionalProperties: false },
);
/** `POST /v1/activation-requests` body. */
export type ActivationRequestBody = Static<typeof ActivationRequestBody>;

/** The answer to `POST /v1/activation-requests`: the text to hand to the vendor. */
export const ActivationRequestAnswer = Type.Object({
  id: Type.String(),
  kind: StringEnum(['file', 'code'] as const),
  text: Type.String({ description: 'The armored request file, or the short code' }),
});
/** The answer to `POST /v1/activation-requests`. */
export type ActivationRequestAnswer = Static<typeof ActivationRequestAnswer>;

/** `POST /v1/licenses` body: the vendor's answer to an offline request, as a file or a code (one of them). */
export const InstallLicenseBody = Type.Object(
  {
    ...licensingFields,
    file: Type.Optional(fileText('The answer file (a license file)')),
    code: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: 'The answer code' })),
  },
  { additionalProperties: false },
);
/** `POST /v1/licenses` body. */
export type InstallLicenseBody = Static<typeof InstallLicenseBody>;

/** The answer to `POST /v1/licenses`. */
export const InstalledLicense = Type.Object({
  requestId: Type.String(),
  serial: Type.String(),
  activationId: Type.String(),
  file: Type.String(),
});
/** The answer to `POST /v1/licenses`. */
export type InstalledLicense = Static<typeof InstalledLicense>;

/** `POST /v1/upgrades/question` body: start a remote upgrade of a container. */
export const UpgradeQuestionBody = Type.Object(
  { ...licensingFields, containerId: Type.Optional(name128) },
  { additionalProperties: false },
);
/** `POST /v1/upgrades/question` body. */
export type UpgradeQuestionBody = Static<typeof UpgradeQuestionBody>;

/** The answer to `POST /v1/upgrades/question`: the question file to send to the vendor. */
export const UpgradeQuestion = Type.Object({
  containerId: Type.String(),
  nonce: Type.String(),
  question: Type.String({ description: 'The armored question file' }),
  abandoned: Type.Optional(Type.Object({ nonce: Type.String(), createdAt: Type.String() })),
});
/** The answer to `POST /v1/upgrades/question`. */
export type UpgradeQuestion = Static<typeof UpgradeQuestion>;

/** `POST /v1/upgrades/answer` body: apply the vendor's answer (an upgrade license file). */
export const UpgradeAnswerBody = Type.Object(
  { ...licensingFields, answer: fileText('The upgrade answer file') },
  { additionalProperties: false },
);
/** `POST /v1/upgrades/answer` body. */
export type UpgradeAnswerBody = Static<typeof UpgradeAnswerBody>;

/** The answer to `POST /v1/upgrades/answer`. */
export const AppliedUpgrade = Type.Object({
  containerId: Type.String(),
  counter: Type.Integer(),
  confirmationCode: Type.String({ description: 'The code to give the vendor' }),
  file: Type.String(),
});
/** The answer to `POST /v1/upgrades/answer`. */
export type AppliedUpgrade = Static<typeof AppliedUpgrade>;

/** `GET /v1/upgrades/confirmation` query. */
export const ConfirmationQuery = Type.Object(
  { ...licensingFields, containerId: Type.Optional(name128) },
  { additionalProperties: false },
);

/** The answer to `GET /v1/upgrades/confirmation`: the last upgrade's confirmation code, shown again. */
export const ConfirmationAnswer = Type.Object({ confirmationCode: Type.String() });
/** The answer to `GET /v1/upgrades/confirmation`. */
export type ConfirmationAnswer = Static<typeof ConfirmationAnswer>;

/** The states of a license file, as status shows them. */
export const LICENSE_FILE_STATES = ['available', 'superseded', 'unavailable'] as const;

/** One license file as the runtime sees it for one product. */
export const RuntimeLicenseFile = Type.Object({
  file: Type.String(),
  state: StringEnum(LICENSE_FILE_STATES),
  serial: NullableString(),
  activationId: NullableString(),
  code: Type.Optional(Type.String({ description: 'Why the file cannot serve (a LICTOR_E_* code)' })),
  reason: Type.Optional(Type.String()),
});
/** One license file as the runtime sees it. */
export type RuntimeLicenseFile = Static<typeof RuntimeLicenseFile>;

/** The licenses of one product of one vendor key, as far as applications asked for them. */
export const RuntimeProductStatus = Type.Object({
  product: Type.String(),
  vendorKeyId: Type.String({ description: 'The first 8 bytes of SHA-256 of the vendor public key, hex' }),
  role: StringEnum(['client', 'server'] as const),
  bitness: Type.Integer(),
  files: Type.Array(RuntimeLicenseFile),
});
/** The licenses of one product. */
export type RuntimeProductStatus = Static<typeof RuntimeProductStatus>;

/** `GET /v1/status`: who the runtime is, the licenses applications asked about, sessions and seats. */
export const RuntimeStatus = Type.Object({
  runtime: Type.Object({
    id: Type.String(),
    version: Type.String(),
    startedAt: isoTime(),
    stateDir: Type.String(),
    socket: NullableString({ description: 'The Unix socket it listens on' }),
    url: NullableString({ description: 'The loopback HTTP address it listens on' }),
  }),
  products: Type.Array(RuntimeProductStatus),
  sessions: Type.Object({ count: Type.Integer(), processes: Type.Integer() }),
  seats: Type.Object({ count: Type.Integer() }),
});
/** `GET /v1/status`. */
export type RuntimeStatus = Static<typeof RuntimeStatus>;

/** The kinds of {@link RuntimeEvent}. */
export const RUNTIME_EVENT_KINDS = [
  'license-change',
  'session-freed',
  'seat-lost',
  'seat-reattached',
  'reset',
] as const;
/** What happened in the runtime. */
export type RuntimeEventKind = (typeof RUNTIME_EVENT_KINDS)[number];

/**
 * One event of `GET /v1/events` (server-sent events: `id: <runtime start>-<sequence>`, `event:
 * <kind>`, `data: <this JSON>`). `reset`: events were missed (the runtime restarted, or the
 * client fell too far behind): read the state again.
 */
export const RuntimeEvent = Type.Object({
  kind: StringEnum(RUNTIME_EVENT_KINDS),
  at: isoTime(),
  product: Type.Optional(Type.String()),
  vendorKeyId: Type.Optional(Type.String()),
  added: Type.Optional(Type.Array(Type.String())),
  removed: Type.Optional(Type.Array(Type.String())),
  changed: Type.Optional(Type.Array(Type.String())),
  sessionId: Type.Optional(Type.String()),
  pid: Type.Optional(Type.Integer()),
  reason: Type.Optional(Type.String()),
  seatId: Type.Optional(Type.String()),
  leaseId: Type.Optional(Type.String()),
  previousLeaseId: Type.Optional(Type.String()),
  code: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
});
/** One event of `GET /v1/events`. */
export type RuntimeEvent = Static<typeof RuntimeEvent>;

/** `GET /v1/events` query. */
export const EventsQuery = Type.Object(
  { product: Type.Optional(name128) },
  { additionalProperties: false, description: 'product: only license changes of this product (other kinds always)' },
);
/** `GET /v1/events` query. */
export type EventsQuery = Static<typeof EventsQuery>;

/**
 * The runtime's named messages, as they appear in `components.schemas` of its OpenAPI
 * document (request and answer bodies).
 */
export const RUNTIME_MESSAGES = {
  CheckBody,
  CheckAnswer,
  SessionBody,
  RuntimeSession,
  SeatBody,
  RuntimeSeat,
  RuntimeActivationBody,
  RuntimeActivationAnswer,
  ActivationRequestBody,
  ActivationRequestAnswer,
  InstallLicenseBody,
  InstalledLicense,
  UpgradeQuestionBody,
  UpgradeQuestion,
  UpgradeAnswerBody,
  AppliedUpgrade,
  ConfirmationAnswer,
  RuntimeStatus,
  RuntimeEvent,
} as const;
