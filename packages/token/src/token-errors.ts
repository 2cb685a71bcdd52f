/**
 * PKCS#11 return values (`CKR_*`) turned into Lictor's typed errors. The CKR name always goes
 * into `details.ckr`, so a support request can name what the token said.
 */
import { type ErrorCode, LictorError } from '@lictor/protocol';

/**
 * Return values that mean the token (or its session) is gone: pulled out, reset, or its module
 * reinitialized. SoftHSM2 reports a token whose directory vanished with `CKR_GENERAL_ERROR` on
 * `C_GetSlotList`/`C_GetTokenInfo` and `CKR_OBJECT_HANDLE_INVALID` on the objects it held, so
 * those count as absence only where the caller knows the token was there before
 * (see {@link toTokenError}'s `wasPresent`).
 */
const ABSENT = new Set([
  'CKR_TOKEN_NOT_PRESENT',
  'CKR_TOKEN_NOT_RECOGNIZED',
  'CKR_DEVICE_REMOVED',
  'CKR_SESSION_HANDLE_INVALID',
  'CKR_SESSION_CLOSED',
  'CKR_SLOT_ID_INVALID',
  'CKR_CRYPTOKI_NOT_INITIALIZED',
]);
const GONE_IF_PRESENT_BEFORE = new Set([
  'CKR_GENERAL_ERROR',
  'CKR_DEVICE_ERROR',
  'CKR_OBJECT_HANDLE_INVALID',
  'CKR_KEY_HANDLE_INVALID',
]);
const PIN_INVALID = new Set(['CKR_PIN_INCORRECT', 'CKR_PIN_INVALID', 'CKR_PIN_LEN_RANGE']);
const PIN_LOCKED = new Set(['CKR_PIN_LOCKED', 'CKR_PIN_EXPIRED']);
const FULL = new Set(['CKR_DEVICE_MEMORY']);

/** The `CKR_*` name of a pkcs11js error, or `undefined` for other errors. */
export function ckrName(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const match = /\b(CKR_[A-Z0-9_]+)\b/.exec(err.message);
  return match?.[1];
}

/** What the failing call was doing, for the message: "signing with the token PCD-0001". */
export interface TokenErrorContext {
  /** What was being done, e.g. `signing the presence challenge`. */
  doing: string;
  /** The token, e.g. `"Lictor-7" (serial 24531b354ac747a6)`. */
  token?: string;
  /** The token was there before this call: generic device errors then mean it was pulled out. */
  wasPresent?: boolean;
}

/**
 * Turns whatever a PKCS#11 call threw into a `LictorError`: a `LictorError` passes through; a
 * removal becomes `LICTOR_E_TOKEN_ABSENT`, a wrong PIN `LICTOR_E_TOKEN_PIN_INVALID`, a locked
 * one `LICTOR_E_TOKEN_PIN_LOCKED`, `CKR_DEVICE_MEMORY` `LICTOR_E_TOKEN_FULL`, anything else
 * `LICTOR_E_TOKEN_FAILED`.
 */
export function toTokenError(err: unknown, context: TokenErrorContext): LictorError {
  if (err instanceof LictorError) return err;
  const ckr = ckrName(err);
  const on = context.token === undefined ? '' : ` ${context.token}`;
  const details = { ckr: ckr ?? null };
  const error = (code: ErrorCode, message: string) => new LictorError(code, message, details);
  if (ckr !== undefined && (ABSENT.has(ckr) || (context.wasPresent === true && GONE_IF_PRESENT_BEFORE.has(ckr)))) {
    return error(
      'LICTOR_E_TOKEN_ABSENT',
      `the token${on} is not present (${ckr} while ${context.doing}); plug it in again`,
    );
  }
  if (ckr !== undefined && PIN_INVALID.has(ckr)) {
    return error(
      'LICTOR_E_TOKEN_PIN_INVALID',
      `the token${on} refused the user PIN (${ckr}); check it before trying again: tokens lock the PIN after a few wrong tries`,
    );
  }
  if (ckr !== undefined && PIN_LOCKED.has(ckr)) {
    return error(
      'LICTOR_E_TOKEN_PIN_LOCKED',
      `the user PIN of the token${on} is locked (${ckr}); unlock it with the security officer PIN`,
    );
  }
  if (ckr !== undefined && FULL.has(ckr)) {
    return error(
      'LICTOR_E_TOKEN_FULL',
      `the memory of the token${on} is full (${ckr} while ${context.doing}); nothing was changed`,
    );
  }
  const what = ckr ?? (err instanceof Error ? err.message : String(err));
  return error('LICTOR_E_TOKEN_FAILED', `the token${on} failed while ${context.doing}: ${what}`);
}
