/** The client side of online activation: one HTTPS/HTTP call to the License Center. */
import {
  type ActivationRequest,
  type ActivationResponse,
  type ContainerKeys,
  canonicalJson,
  decodeLicenseFile,
  type HardwareParams,
  LictorError,
  newTimeNonce,
  type Owner,
  type SignedTime,
  type TokenActivation,
  type VendorPublicKey,
  verifyServerTime,
} from '@lictor/protocol';
import { callCenter } from './center-client.js';
import { jsonOf } from './http-transport.js';

/** What the user types to activate. */
export interface ActivateInput {
  /** Base URL of the License Center, e.g. `https://licensing.example.com`. */
  center: string;
  serial: string;
  pin: string;
  /** Owner registration data; the product decides which fields are required (company and e-mail by default). */
  owner: Owner;
  /** Give up after this many ms (default 30 s). */
  timeoutMs?: number;
  /**
   * Bind the license to a hardware token instead of this computer (needs `openLicensing`'s
   * `tokens` option): the token that matches, which signs the activation with its Lictor key.
   */
  bindToken?: { serial?: string; label?: string };
  /**
   * Bind the license to a hardware token plugged into a License Manager's host (a network
   * dongle): the manager's token signs the activation, and the license, kept on this computer,
   * works wherever that manager's dongle answers. `manager`: its address (default: the managers
   * of `openLicensing`'s `networkTokens` option, `lictor.ini`, `LICTOR_MANAGER`); `token`: the
   * dongle's serial, needed when the manager serves several.
   */
  networkToken?: { manager?: string; token?: string };
}

/** The outcome of an accepted activation. */
export interface ActivationResult {
  activationId: string;
  serial: string;
  /** `true` when the same PIN was activated again on the same computer for the same owner. */
  reactivated: boolean;
  /** Where the license file was written. */
  file: string;
  /** The hardware token the license is bound to (with `bindToken`). */
  token?: {
    manufacturer: string;
    model: string;
    serial: string;
    publicKey: string;
    keyGenerated: boolean;
    /** With `networkToken`: the License Manager whose dongle it is. */
    manager?: string;
  };
}

/** The verified answer of the center, before it is written. */
export interface ActivationAnswer {
  activationId: string;
  serial: string;
  reactivated: boolean;
  license: string;
  /** File name to store the license under (one file per activation). */
  fileName: string;
  /** The container the license creates (its key file is sealed to this id). */
  containerId: string;
  /** The center's time, signed over this request's nonce (absent from older centers). */
  time?: { ms: number; signed: SignedTime };
}

/** Whether a license carries exactly the container keys that were sent. */
export function sameContainerKeys(a: ContainerKeys | undefined, b: ContainerKeys | undefined): boolean {
  return a !== undefined && b !== undefined && canonicalJson(a) === canonicalJson(b);
}

/**
 * Sends an activation request and verifies the returned license file against the vendor's
 * public key and this computer before anything is written. With `containerKeys`, the license
 * must carry exactly these public keys, else it is refused (`LICTOR_E_UPGRADE_UNSUPPORTED`).
 * With `token` (a claim signed by a hardware token), the license must be bound to that token.
 */
export async function activateOnline(
  input: ActivateInput,
  hardware: HardwareParams,
  publicKey: VendorPublicKey,
  containerKeys?: ContainerKeys,
  token?: TokenActivation,
): Promise<ActivationAnswer> {
  const url = new URL('/v1/activations', input.center);
  const timeNonce = newTimeNonce();
  const body: ActivationRequest = {
    serial: input.serial,
    pin: input.pin,
    owner: input.owner,
    hardware,
    ...(containerKeys ? { containerKeys } : {}),
    ...(token ? { token } : {}),
    timeNonce,
  };
  const response = await callCenter(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
    timeoutMs: input.timeoutMs ?? 30_000,
    unreachableHint: 'check the address and the network, or activate offline',
  });
  const json = jsonOf(response) as Partial<ActivationResponse> | null;
  if (!json || typeof json.license !== 'string' || typeof json.activationId !== 'string') {
    throw new LictorError('LICTOR_E_FILE_FORMAT', `the License Center at ${url.origin} sent an unexpected answer`);
  }
  const doc = decodeLicenseFile(json.license, publicKey);
  const time =
    json.time === undefined ? undefined : { ms: verifyServerTime(json.time, publicKey, timeNonce), signed: json.time };
  if (containerKeys && !sameContainerKeys(doc.containerKeys, containerKeys)) {
    throw new LictorError(
      'LICTOR_E_UPGRADE_UNSUPPORTED',
      `the License Center at ${url.origin} did not put this computer's container keys into the license; update the License Center and activate again`,
    );
  }
  if (
    token &&
    (doc.binding.kind !== 'token' ||
      doc.binding.publicKey !== token.claim.publicKey ||
      doc.binding.token.serial !== token.claim.token.serial)
  ) {
    throw new LictorError(
      'LICTOR_E_FILE_FORMAT',
      `the License Center at ${url.origin} did not bind the license to the token ${token.claim.token.serial}; update the License Center and activate again`,
    );
  }
  return {
    containerId: doc.containerId,
    activationId: doc.activationId,
    serial: doc.serial,
    reactivated: json.reactivated === true,
    license: json.license,
    fileName: `${doc.serial}_${doc.activationId}.lic`,
    ...(time ? { time } : {}),
  };
}
