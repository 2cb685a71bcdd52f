/**
 * A license container on a hardware token: what the vendor's `lictor center token program`
 * writes into the token's memory and what the SDK reads back. The token's PKCS#11 data objects
 * (`CKO_DATA`, `CKA_APPLICATION` `lictor`, written by `@lictor/token`'s `writeData`) are:
 *
 * | label ({@link TOKEN_LICENSE_LABEL} / {@link TOKEN_KEYS_LABEL}) | `CKA_PRIVATE` | payload |
 * | --- | --- | --- |
 * | `lictor-license` | false: readable without the token's PIN | the armored license file text (UTF-8), as the License Center issued it; its `binding` is `{kind:'token', token, publicKey}` |
 * | `lictor-container-keys` | true: readable only after login | UTF-8 JSON {@link TokenContainerKeys}: the container's software Ed25519/X25519 keys |
 * | `lictor-upgrade` ({@link TOKEN_UPGRADE_LABEL}) | true | UTF-8 JSON of the pending remote upgrade, present only between `lictor upgrade start` and the answer being applied: `{ nonce, counter, createdAt, abandoned: [{ nonce, createdAt, abandonedAt }] }` (the SDK's `UpgradeRecord`, the same JSON as a license directory's `upgrades/<container>.json`) |
 *
 * The keys object, as JSON:
 *
 * ```json
 * {
 *   "format": 1,
 *   "containerId": "<the license's containerId>",
 *   "public": { "sign": "<Ed25519 base64url raw>", "box": "<X25519 base64url raw>" },
 *   "private": { "sign": "-----BEGIN PRIVATE KEY-----\n…PKCS#8 PEM…", "box": "<X25519 base64url raw scalar>" }
 * }
 * ```
 *
 * `public` equals the license's `containerKeys`; `private` is `ContainerKeyPair['private']` of
 * `generateContainerKeys()`. They make a token container upgradable by the usual
 * question / answer / confirmation protocol (see `container.ts`). The token's own P-256 key
 * (non-extractable, labelled `lictor`) is not in this object: the license names it in
 * `binding.publicKey`, and presence is proven with it (see `token-presence.ts`).
 */
import type { ContainerKeyPair } from './crypto.js';
import { fromJsonUtf8, utf8 } from './encoding.js';
import { LictorError } from './errors.js';
import { fieldReaders } from './fields.js';

/** Label of the data object holding the license file text (public object). */
export const TOKEN_LICENSE_LABEL = 'lictor-license';

/** Label of the data object holding the container's keys as JSON (private object, needs login). */
export const TOKEN_KEYS_LABEL = 'lictor-container-keys';

/**
 * Label of the data object holding the pending remote upgrade of the token's container (private
 * object): it travels with the token, so a question asked on one computer is answered on another.
 */
export const TOKEN_UPGRADE_LABEL = 'lictor-upgrade';

/** Label of the token's P-256 key pair that a token-bound license names. */
export const TOKEN_KEY_LABEL = 'lictor';

/** The container keys stored on a token (see the file comment for the JSON). */
export interface TokenContainerKeys {
  format: 1;
  /** The container these keys belong to (the license's `containerId`). */
  containerId: string;
  public: ContainerKeyPair['public'];
  private: ContainerKeyPair['private'];
}

/** The bytes written as {@link TOKEN_KEYS_LABEL}. */
export function encodeTokenContainerKeys(containerId: string, keys: ContainerKeyPair): Uint8Array {
  const value: TokenContainerKeys = {
    format: 1,
    containerId,
    public: { sign: keys.public.sign, box: keys.public.box },
    private: { sign: keys.private.sign, box: keys.private.box },
  };
  return utf8(JSON.stringify(value));
}

function notKeys(): never {
  throw new LictorError(
    'LICTOR_E_FILE_FORMAT',
    `the token's '${TOKEN_KEYS_LABEL}' data object is not Lictor container keys (format 1); program the token again`,
  );
}

const { obj, str } = fieldReaders(notKeys);

function keyPair(value: unknown, field: string): { sign: string; box: string } {
  const pair = obj(value, field);
  return { sign: str(pair.sign, `${field}.sign`), box: str(pair.box, `${field}.box`) };
}

/** Parses the {@link TOKEN_KEYS_LABEL} data object. Throws `LICTOR_E_FILE_FORMAT` when it is not one. */
export function decodeTokenContainerKeys(bytes: Uint8Array): TokenContainerKeys {
  const v = obj(fromJsonUtf8(bytes), '(root)');
  if (v.format !== 1) notKeys();
  return {
    format: 1,
    containerId: str(v.containerId, 'containerId'),
    public: keyPair(v.public, 'public'),
    private: keyPair(v.private, 'private'),
  };
}
