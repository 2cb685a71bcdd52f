/**
 * PKCS#11 flag and state values that `pkcs11js` does not declare in its types (values from the
 * PKCS#11 v2.40 specification, section 3).
 */

/** `CK_SLOT_INFO.flags`: a token is in the slot. */
export const CKF_TOKEN_PRESENT = 0x1;
/** `CK_SLOT_INFO.flags`: the reader supports removable devices. */
export const CKF_REMOVABLE_DEVICE = 0x2;

/** `CK_TOKEN_INFO.flags`: the token is write-protected. */
export const CKF_WRITE_PROTECTED = 0x2;
/** `CK_TOKEN_INFO.flags`: the user must log in for some functions. */
export const CKF_LOGIN_REQUIRED = 0x4;
/** `CK_TOKEN_INFO.flags`: the token has been initialized. */
export const CKF_TOKEN_INITIALIZED = 0x400;
/** `CK_TOKEN_INFO.flags`: the user PIN is locked. */
export const CKF_USER_PIN_LOCKED = 0x40000;

/** `CK_SESSION_INFO.state`: read-only session with the user logged in. */
export const CKS_RO_USER_FUNCTIONS = 1;
/** `CK_SESSION_INFO.state`: read/write session with the user logged in. */
export const CKS_RW_USER_FUNCTIONS = 3;

/** `CK_UNAVAILABLE_INFORMATION` as a JavaScript number: any memory size at or above it is unknown. */
const UNAVAILABLE_INFORMATION = 0xffff_ffff;

/** Free memory in bytes when the token reports it (SoftHSM2 and many tokens do not); else `undefined`. */
export function reportedFreeMemory(free: number, total: number): number | undefined {
  return total > 0 && total < UNAVAILABLE_INFORMATION && free < UNAVAILABLE_INFORMATION ? free : undefined;
}
