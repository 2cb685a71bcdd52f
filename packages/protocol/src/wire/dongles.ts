/**
 * The License Manager's network-dongle messages: which hardware tokens the manager serves, a
 * presence proof over a client's fresh challenge (takes no seat), and a claim signed by a dongle
 * for an activation bound to it. See docs/dongles.md, "A software license bound to a network dongle".
 */
import { type Static, Type } from 'typebox';
import { TokenActivation } from './center.js';

const tokenText = Type.String({ maxLength: 128 });
const publicKeyText = Type.String({
  minLength: 1,
  maxLength: 512,
  description: "A token's ECDSA P-256 key, lictor-p256:<base64url SPKI>",
});

/** A hardware token plugged into the manager's host, as clients see it (nothing secret). */
export const ManagerDongle = Type.Object(
  {
    manufacturer: tokenText,
    model: tokenText,
    serial: tokenText,
    label: tokenText,
    publicKey: Type.Optional({
      ...publicKeyText,
      description:
        "The token's Lictor key (label 'lictor', generated on the token); absent until the first activation makes it",
    }),
    fingerprint: Type.Optional(
      Type.String({ maxLength: 64, description: 'Hex of the first 16 bytes of SHA-256 of the key' }),
    ),
  },
  { additionalProperties: false },
);
/** A hardware token plugged into the manager's host. */
export type ManagerDongle = Static<typeof ManagerDongle>;

/** `GET /v1/tokens` answer. */
export const ManagerDongleList = Type.Object({ tokens: Type.Array(ManagerDongle) });
/** `GET /v1/tokens` answer. */
export type ManagerDongleList = Static<typeof ManagerDongleList>;

/** `POST /v1/tokens/presence` body: the key a license is bound to and the client's fresh challenge. */
export const DonglePresenceRequest = Type.Object(
  {
    publicKey: publicKeyText,
    challenge: Type.String({
      pattern: '^[A-Za-z0-9_-]{43}$',
      description: '32 random bytes chosen by the client for this proof, base64url',
    }),
  },
  { additionalProperties: false },
);
/** `POST /v1/tokens/presence` body. */
export type DonglePresenceRequest = Static<typeof DonglePresenceRequest>;

/** `POST /v1/tokens/presence` answer: the token's signature over the presence message. */
export const DonglePresenceAnswer = Type.Object({
  signature: Type.String({
    minLength: 1,
    maxLength: 128,
    description: 'ECDSA P-256 raw r||s over tokenPresenceMessage(challenge), base64url',
  }),
  token: Type.Object({ manufacturer: tokenText, model: tokenText, serial: tokenText }),
});
/** `POST /v1/tokens/presence` answer. */
export type DonglePresenceAnswer = Static<typeof DonglePresenceAnswer>;

/** `POST /v1/tokens/activation-claim` body: a package serial to bind to a dongle of the manager. */
export const DongleClaimRequest = Type.Object(
  {
    serial: Type.String({ minLength: 1, maxLength: 64, description: 'The package serial being activated' }),
    token: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 128,
        description: 'The serial of the dongle (needed when the manager serves several)',
      }),
    ),
  },
  { additionalProperties: false },
);
/** `POST /v1/tokens/activation-claim` body. */
export type DongleClaimRequest = Static<typeof DongleClaimRequest>;

/** `POST /v1/tokens/activation-claim` answer: the claim the dongle signed, for the center's `POST /v1/activations`. */
export const DongleClaimAnswer = Type.Object({
  activation: TokenActivation,
  keyGenerated: Type.Boolean({ description: 'The dongle had no Lictor key: one was generated on it now' }),
});
/** `POST /v1/tokens/activation-claim` answer. */
export type DongleClaimAnswer = Static<typeof DongleClaimAnswer>;

/** The network-dongle messages, named in the manager's OpenAPI document. */
export const DONGLE_MESSAGES = {
  ManagerDongleList,
  DonglePresenceRequest,
  DonglePresenceAnswer,
  DongleClaimRequest,
  DongleClaimAnswer,
} as const;
