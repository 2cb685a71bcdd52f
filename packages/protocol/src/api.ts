/** Shapes exchanged between the SDK and the License Center's activation web service. */
import type { HardwareParams } from './hardware.js';
import type { ContainerKeys, Owner } from './license.js';
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
}
