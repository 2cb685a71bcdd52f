/** Shapes exchanged between the SDK and the License Center's activation web service. */
import type { HardwareParams } from './hardware.js';
import type { ContainerKeys, Owner } from './license.js';
import type { SignedTime } from './signed-time.js';
import type { TokenActivationClaim } from './token-presence.js';

/** `POST /v1/activations`: activate a PIN code of a package on this computer. */
export interface ActivationRequest {
  serial: string;
  pin: string;
  owner: Owner;
  /** The computer's key hardware parameters (the binding, unless `token` is given). */
  hardware: HardwareParams;
  /** Public keys of the new container, generated on the computer (needed for remote upgrades). */
  containerKeys?: ContainerKeys;
  /** Bind the license to this hardware token instead of the computer (`lictor activate --bind-token`). */
  token?: TokenActivation;
  /** A fresh nonce (`newTimeNonce`): the answer then carries the center's time signed over it. */
  timeNonce?: string;
}

/** A token-bound activation: the claim and the token's signature over it. */
export interface TokenActivation {
  claim: TokenActivationClaim;
  /** Raw ECDSA `r ‖ s` over `tokenActivationMessage(claim)`, base64url. */
  signature: string;
}

/** The License Center's answer to an accepted activation. */
export interface ActivationResponse {
  activationId: string;
  /** `true` when the same PIN was activated again for the same owner and computer. */
  reactivated: boolean;
  /** The armored license file. */
  license: string;
  /** The center's signed time, when the request carried a `timeNonce`. */
  time?: SignedTime;
}

/** The body of every error answer of Lictor's HTTP services. */
export interface ErrorBody {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}
