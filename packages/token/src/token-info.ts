/**
 * What a token says about itself: the identity the License Center registers (manufacturer,
 * model, serial number) and its state in its slot.
 */

/** A slot of a PKCS#11 module and the token in it. */
export interface TokenDescription {
  /** Slot id as a decimal string (what `pkcs11-tool --list-slots` and `softhsm2-util` print). */
  slot: string;
  /** A token is in the slot and answers. */
  present: boolean;
  /** The token has been initialized (has a label and a user PIN). */
  initialized: boolean;
  /** The slot holds removable devices (USB tokens, smart card readers). */
  removable: boolean;
  /** Token label ('' when absent). */
  label: string;
  /** Token manufacturer ('' when absent). */
  manufacturer: string;
  /** Token model ('' when absent). */
  model: string;
  /** Token serial number ('' when absent): with manufacturer and model, the token's identity. */
  serial: string;
  /** The user must log in to use private objects and keys. */
  loginRequired: boolean;
  /** The user PIN is locked. */
  pinLocked: boolean;
  /** Free memory for private objects in bytes, when the token reports it. */
  freePrivateMemory?: number;
  /** Free memory for public objects in bytes, when the token reports it. */
  freePublicMemory?: number;
  /** Why the token did not answer (a `CKR_*` name), when the slot reports one but it cannot be read. */
  problem?: string;
}

/** Which token to open; every given field must match. */
export interface TokenSelector {
  /** Serial number (the stable choice: slot ids can change when a token is plugged in again). */
  serial?: string;
  label?: string;
  /** Slot id as printed by {@link TokenDescription.slot}. */
  slot?: string | number | bigint;
}

/** The slot id of a `pkcs11js` slot handle (a little-endian CK_ULONG) as a decimal string. */
export function slotIdText(handle: Buffer): string {
  if (handle.length >= 8) return handle.readBigUInt64LE(0).toString();
  if (handle.length >= 4) return handle.readUInt32LE(0).toString();
  return handle.toString('hex');
}

/** Whether a token description matches a selector. */
export function matchesSelector(token: TokenDescription, selector: TokenSelector): boolean {
  return (
    (selector.serial === undefined || token.serial === selector.serial.trim()) &&
    (selector.label === undefined || token.label === selector.label.trim()) &&
    (selector.slot === undefined || token.slot === String(selector.slot).trim())
  );
}

/** How a selector reads in a message: `serial 24531b354ac747a6, label "L1"`. */
export function describeSelector(selector: TokenSelector): string {
  const parts = [
    selector.serial === undefined ? '' : `serial ${selector.serial}`,
    selector.label === undefined ? '' : `label "${selector.label}"`,
    selector.slot === undefined ? '' : `slot ${selector.slot}`,
  ].filter((p) => p !== '');
  return parts.length === 0 ? 'any token' : parts.join(', ');
}

/** How a token reads in a message: `"L1" (SoftHSM project SoftHSM v2, serial 24531b354ac747a6)`. */
export function describeToken(token: TokenDescription): string {
  return `"${token.label}" (${token.manufacturer} ${token.model}, serial ${token.serial})`;
}
