/**
 * Network dongles: the hardware tokens plugged into the manager's host, for licenses kept on
 * client computers and bound to one of them (docs/dongles.md, "A software license bound to a
 * network dongle"). Which tokens are served, a presence proof over the client's fresh challenge,
 * and a claim signed by a token for an activation bound to it. None of them takes a seat: the
 * client verifies each proof with the key in its vendor-signed license, so this route can lend
 * a token's presence but never fake one.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses, messageRefs } from '@lictor/http-service';
import { fromBase64Url, LictorError, toBase64Url } from '@lictor/protocol';
import { MANAGER_MESSAGES } from '@lictor/protocol/wire';
import type { DongleServer } from '@lictor/sdk';
import type { FastifyRequest } from 'fastify';
import { RateLimiter } from './rate-limiter.js';

const ref = messageRefs(MANAGER_MESSAGES);
const tags = ['tokens'];

function noDongles(): LictorError {
  return new LictorError(
    'LICTOR_E_TOKEN_ABSENT',
    'this License Manager serves no hardware tokens (it was started without token options: lictor manager serve --token-module … --token-pin-file …)',
  );
}

/**
 * Requests that make a token sign, per client address: a client proves each dongle every 20 s by
 * default, so this leaves room for a hundred licenses behind one address, while a flood from one
 * address cannot fill the token's queue (a real token signs 5 to 100 times a second, and the
 * manager's own presence checks of its tokens wait in the same queue).
 */
export const DONGLE_RATE = { burst: 20, perSecond: 5 } as const;

/** The dongle routes; without a `dongles` server the list is empty and proofs are refused. */
export const dongleRoutes: FastifyPluginAsyncTypebox<{
  dongles: DongleServer | undefined;
  now: () => number;
}> = async (app, { dongles, now }) => {
  const perAddress = new RateLimiter({ ...DONGLE_RATE, now });
  const limit = (request: FastifyRequest) => {
    if (perAddress.take(request.ip)) return;
    throw new LictorError(
      'LICTOR_E_RATE_LIMITED',
      `too many token signatures asked from ${request.ip}: at most ${DONGLE_RATE.perSecond} a second; try again in a second`,
      { retryAfterSeconds: 1 },
    );
  };
  app.get(
    '/v1/tokens',
    {
      schema: {
        operationId: 'listTokens',
        summary: 'The hardware tokens (dongles) this manager serves: identity and Lictor public key, nothing secret',
        tags,
        response: { 200: ref.ManagerDongleList, ...errorResponses(500) },
      },
    },
    async () => ({ tokens: dongles === undefined ? [] : await dongles.list() }),
  );

  app.post(
    '/v1/tokens/presence',
    {
      schema: {
        operationId: 'proveTokenPresence',
        summary: "The token holding the key signs the client's fresh challenge (presence proof; takes no seat)",
        tags,
        body: ref.DonglePresenceRequest,
        response: { 200: ref.DonglePresenceAnswer, ...errorResponses(400, 403, 413, 429, 500, 503) },
      },
    },
    async (request) => {
      limit(request);
      if (dongles === undefined) throw noDongles();
      const challenge = fromBase64Url(request.body.challenge);
      if (challenge === null) {
        throw new LictorError('LICTOR_E_INVALID_INPUT', 'the challenge must be 32 bytes, base64url', {
          field: 'challenge',
        });
      }
      const { signature, token } = await dongles.prove(request.body.publicKey, challenge);
      return { signature: toBase64Url(signature), token };
    },
  );

  app.post(
    '/v1/tokens/activation-claim',
    {
      schema: {
        operationId: 'signTokenActivationClaim',
        summary:
          "A served token signs a claim binding the package serial to itself, for the License Center's POST /v1/activations",
        tags,
        body: ref.DongleClaimRequest,
        response: { 200: ref.DongleClaimAnswer, ...errorResponses(400, 403, 413, 429, 500, 503) },
      },
    },
    async (request) => {
      limit(request);
      if (dongles === undefined) throw noDongles();
      return dongles.claim(request.body.serial, request.body.token);
    },
  );
};
