/**
 * Every refusal in Lictor has a stable code from this registry. Codes are never reused or
 * renamed once released; `docs/errors.md` lists them and a test keeps the two in step.
 */
export const ERRORS = {
  LICTOR_E_INVALID_INPUT: { status: 400, title: 'The request is malformed' },
  LICTOR_E_UNAUTHORIZED: { status: 401, title: 'A valid admin token is required' },
  LICTOR_E_NOT_FOUND: { status: 404, title: 'No such resource' },
  LICTOR_E_PAYLOAD_TOO_LARGE: { status: 413, title: 'The request body is too large' },
  LICTOR_E_RATE_LIMITED: { status: 429, title: 'Too many requests' },
  LICTOR_E_INTERNAL: { status: 500, title: 'Internal error' },
  LICTOR_E_PACKAGE_MISSING: { status: 500, title: 'A Lictor package this command needs is not installed' },
  LICTOR_E_PORT_IN_USE: { status: 500, title: 'The service cannot listen on its address and port' },

  LICTOR_E_PRODUCT_UNKNOWN: { status: 404, title: 'Unknown product' },
  LICTOR_E_PRODUCT_EXISTS: { status: 409, title: 'The product already exists' },
  LICTOR_E_FEATURE_UNKNOWN: { status: 400, title: 'Unknown feature' },

  LICTOR_E_SERIAL_OR_PIN_INVALID: { status: 403, title: 'Wrong serial number or PIN code' },
  LICTOR_E_PIN_USED: { status: 409, title: 'The PIN code is already activated elsewhere' },
  LICTOR_E_ACTIVE_PIN_LIMIT: { status: 409, title: 'Too many active PIN codes' },
  LICTOR_E_COMBINED_LOCKED: { status: 409, title: 'The other kind of this combined package is already active' },
  LICTOR_E_OWNER_REQUIRED: { status: 400, title: 'Owner registration data is missing' },
  LICTOR_E_OWNER_FIELD_INVALID: { status: 400, title: 'An owner field has a reserved name' },
  LICTOR_E_PACKAGE_EXPIRED: { status: 403, title: 'The package has expired' },
  LICTOR_E_BLACKLISTED: { status: 403, title: 'The license is blacklisted' },

  LICTOR_E_HARDWARE_MISMATCH: { status: 403, title: 'The license is bound to another computer' },
  LICTOR_E_LICENSE_EXPIRED: { status: 403, title: 'The license has expired' },
  LICTOR_E_NOT_LICENSED: { status: 403, title: 'No license for this product' },
  LICTOR_E_FEATURE_NOT_LICENSED: { status: 403, title: 'The license does not include this feature' },
  LICTOR_E_NETWORK_LICENSE: { status: 403, title: 'The license is served by a License Manager' },
  LICTOR_E_ARCH_MISMATCH: { status: 403, title: 'The license does not cover this architecture' },
  LICTOR_E_SERVER_LICENSE: { status: 403, title: 'A server license serves server processes only' },
  LICTOR_E_CLIENT_LICENSE: { status: 403, title: 'A single-user license serves client applications only' },
  LICTOR_E_CLOCK_ROLLBACK: { status: 403, title: "The computer's clock is set back" },
  LICTOR_E_BLACKLIST_STALE: { status: 409, title: 'The blacklist is older than one already seen' },

  LICTOR_E_FILE_FORMAT: { status: 400, title: 'Not a valid Lictor file' },
  LICTOR_E_FILE_TRUNCATED: { status: 400, title: 'The file is truncated' },
  LICTOR_E_FILE_TAMPERED: { status: 400, title: 'The file was altered or corrupted' },
  LICTOR_E_FILE_VERSION: { status: 400, title: 'Unsupported file format version' },
  LICTOR_E_WRONG_VENDOR: { status: 400, title: 'The file was issued by another vendor key' },
  LICTOR_E_SIGNATURE_INVALID: { status: 400, title: 'The vendor signature is not valid' },
  LICTOR_E_FILE_UNREADABLE: { status: 500, title: 'The file or directory cannot be read' },
  LICTOR_E_PUBLIC_KEY_INVALID: { status: 400, title: 'The vendor public key is not valid' },
  LICTOR_E_CODE_INVALID: { status: 400, title: 'The code has a typing mistake or is incomplete' },

  LICTOR_E_REQUEST_EXPIRED: { status: 403, title: 'The offline request is too old' },
  LICTOR_E_REQUEST_UNKNOWN: { status: 409, title: 'No pending request on this computer matches the answer' },
  LICTOR_E_ALREADY_INSTALLED: { status: 409, title: 'The answer was already installed' },

  LICTOR_E_UPGRADE_UNSUPPORTED: { status: 409, title: 'The license cannot be upgraded remotely' },
  LICTOR_E_UPGRADE_MISMATCH: { status: 409, title: 'The upgrade is for another container' },
  LICTOR_E_UPGRADE_STALE: { status: 409, title: 'The upgrade was made for another state of the container' },
  LICTOR_E_UPGRADE_ABANDONED: { status: 409, title: 'The upgrade answers a question that was abandoned' },
  LICTOR_E_NO_UPGRADE_PENDING: { status: 409, title: 'No upgrade operation is in progress' },
  LICTOR_E_CONFIRMATION_INVALID: { status: 400, title: 'The confirmation code does not match the upgrade' },
  LICTOR_E_CONTAINER_TAMPERED: { status: 403, title: 'The container files were changed' },
  LICTOR_E_CONTAINER_MOVED: { status: 403, title: 'The container belongs to another computer' },
  LICTOR_E_CONTAINER_AMBIGUOUS: { status: 400, title: 'Several containers: name one' },

  LICTOR_E_SEATS_EXHAUSTED: { status: 409, title: 'All seats of the license are in use' },
  LICTOR_E_LEASE_UNKNOWN: { status: 404, title: 'The lease is unknown or has expired' },
  LICTOR_E_LEASE_REVOKED: { status: 403, title: 'An administrator took the seat back from this client' },
  LICTOR_E_MANAGER_UNREACHABLE: { status: 503, title: 'No License Manager can be reached' },
  LICTOR_E_ACCESS_DENIED: { status: 403, title: "The License Manager's access rules refuse this client" },
  LICTOR_E_ACCESS_RULES_INVALID: { status: 400, title: 'The access rules file is not valid' },
  LICTOR_E_DISCOVERY_UNAVAILABLE: { status: 500, title: 'The discovery port cannot be opened' },
  LICTOR_E_ANSWER_UNPROVEN: {
    status: 502,
    title: 'The answer carries no proof that its sender holds a genuine license',
  },
  LICTOR_E_BORROW_NOT_ALLOWED: { status: 403, title: 'The license does not allow borrowing a seat for that long' },
  LICTOR_E_BORROW_HELD: { status: 409, title: 'This computer already borrowed a seat of the product' },
  LICTOR_E_BORROW_UNKNOWN: { status: 404, title: 'No such borrowed seat, or not given back by its holder' },
  LICTOR_E_BORROW_EXPIRED: { status: 403, title: 'The borrowed seat has ended' },
  LICTOR_E_SERVER_IN_USE: {
    status: 409,
    title: 'The session-limited server license serves a server on another computer',
  },
  LICTOR_E_DUPLICATE_LICENSE: { status: 403, title: 'The license is in use on another computer too' },
  LICTOR_E_ANNOUNCEMENT_INVALID: { status: 400, title: 'Not a valid license announcement' },
  LICTOR_E_EVIDENCE_INVALID: { status: 400, title: 'The duplicate evidence is not valid' },

  LICTOR_E_TOKEN_MODULE_MISSING: { status: 500, title: 'The PKCS#11 module for hardware tokens cannot be loaded' },
  LICTOR_E_TOKEN_ABSENT: { status: 503, title: 'The hardware token is not present' },
  LICTOR_E_TOKEN_AMBIGUOUS: { status: 400, title: 'Several hardware tokens match: name one' },
  LICTOR_E_TOKEN_PIN_REQUIRED: { status: 400, title: 'The hardware token needs its user PIN' },
  LICTOR_E_TOKEN_PIN_INVALID: { status: 403, title: 'Wrong user PIN for the hardware token' },
  LICTOR_E_TOKEN_PIN_LOCKED: { status: 403, title: 'The user PIN of the hardware token is locked' },
  LICTOR_E_TOKEN_NOT_GENUINE: { status: 403, title: 'The hardware token does not hold the registered key' },
  LICTOR_E_TOKEN_FULL: { status: 507, title: 'The memory of the hardware token is full' },
  LICTOR_E_TOKEN_FAILED: { status: 500, title: 'The hardware token refused the operation' },
  LICTOR_E_TOKEN_PROOF_INVALID: { status: 403, title: 'The token activation claim is not valid' },

  LICTOR_E_NOT_LOCAL: { status: 403, title: 'The Lictor Runtime serves programs of this computer only' },
  LICTOR_E_PLATFORM_UNSUPPORTED: { status: 400, title: 'Not available on this operating system' },
  LICTOR_E_SESSIONS_EXHAUSTED: { status: 409, title: 'The license file has no session left for this process' },
  LICTOR_E_SESSION_UNKNOWN: { status: 404, title: 'The session is unknown or was freed' },
  LICTOR_E_PROCESS_UNKNOWN: { status: 400, title: 'No running process has this id' },
  LICTOR_E_RUNTIME_UNREACHABLE: { status: 503, title: 'The Lictor Runtime cannot be reached' },

  LICTOR_E_CENTER_UNREACHABLE: { status: 503, title: 'The License Center cannot be reached' },
  LICTOR_E_CENTER_NOT_INITIALIZED: { status: 500, title: 'The License Center data directory is not initialized' },
  LICTOR_E_CENTER_EXISTS: { status: 409, title: 'The License Center data directory is already initialized' },
} as const satisfies Record<string, { status: number; title: string }>;

/** A stable Lictor error code. */
export type ErrorCode = keyof typeof ERRORS;

/**
 * The one error type Lictor throws. `code` is stable and documented; `message` says what
 * happened and what to do; `details` carries structured facts (never secrets).
 */
export class LictorError extends Error {
  override readonly name = 'LictorError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }

  /** HTTP status that the servers answer with for this code. */
  get status(): number {
    return ERRORS[this.code].status;
  }

  /** The JSON body of an HTTP error answer. */
  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/** Tells whether a string is a known error code (e.g. from an HTTP body). */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERRORS, code);
}
