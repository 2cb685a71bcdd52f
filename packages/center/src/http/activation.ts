/** Public routes used by applications: activation, the blacklist and duplicate reports. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses, type RouteLog } from '@lictor/http-service';
import { type ActivationRequest, type ActivationResponse, TIME_HEADER } from '@lictor/protocol';
import { BlacklistQuery } from '@lictor/protocol/wire';
import type { Center } from '../center/types.js';
import { ref } from './messages.js';

/**
 * `POST /v1/activations` once its body is read and checked, for the Fastify route and for the
 * raw listener (`activation-raw.ts`) alike: 201 with a new license (200 on reactivation), logged
 * once ("activation"); refusals are thrown. The answer's properties are in the order of
 * `ActivationResponse`, so that `JSON.stringify` writes the bytes Fastify's serializer does.
 */
export async function activateOnline(
  center: Center,
  body: ActivationRequest,
  clientIp: string,
  log: RouteLog,
): Promise<{ status: 200 | 201; answer: ActivationResponse }> {
  const { activationId, reactivated, license } = await center.activate(body, { clientIp });
  log.info({ serial: body.serial, activationId, reactivated, channel: 'online' }, 'activation');
  const answer: ActivationResponse = { activationId, reactivated, license };
  if (body.timeNonce !== undefined) {
    const { time, nonce, signature } = center.signedTime(body.timeNonce);
    answer.time = { time, nonce, signature };
  }
  return { status: reactivated ? 200 : 201, answer };
}

/** Activation route plugin. */
export const activationRoutes: FastifyPluginAsyncTypebox<{ center: Center }> = async (app, { center }) => {
  app.post(
    '/v1/activations',
    {
      schema: {
        operationId: 'activate',
        summary: 'Activate a PIN code of a package on a computer or a hardware token',
        description:
          '201 with a new license file; 200 when the same owner activates the same PIN on the same computer again. ' +
          'With `token`, the license is bound to that hardware token (the token signed the claim); each PIN binds to ' +
          'one token, and the same owner with the same token reactivates (200).',
        tags: ['activation'],
        body: ref.ActivationRequest,
        response: {
          200: ref.ActivationResponse,
          201: ref.ActivationResponse,
          ...errorResponses(400, 403, 409, 413, 429),
        },
      },
    },
    async (request, reply) => {
      const { status, answer } = await activateOnline(center, request.body, request.ip, request.log);
      return reply.code(status).send(answer);
    },
  );

  app.post(
    '/v1/duplicates',
    {
      schema: {
        operationId: 'reportDuplicate',
        summary: 'Report a serial and PIN in use on two computers at once',
        description:
          'The evidence is three license announcements signed by the license containers (A, B, A as one observer ' +
          "received them, A's counter growing). The activations it names are blacklisted, or the report is held " +
          "for the vendor's review when the product's duplicate policy is 'review'. Rate-limited per serial.",
        tags: ['activation'],
        body: ref.DuplicateReport,
        response: { 200: ref.DuplicateReportAnswer, ...errorResponses(400, 413, 429) },
      },
    },
    async (request) => center.reportDuplicate(request.body.evidence, { clientIp: request.ip }),
  );

  app.get(
    '/v1/blacklist',
    {
      schema: {
        operationId: 'getBlacklist',
        summary: 'The signed blacklist file',
        description:
          'Its sequence moves up with every change. With `nonce`, the `Lictor-Time` header carries the ' +
          "center's time signed over it (JSON `{ time, nonce, signature }`).",
        tags: ['activation'],
        querystring: BlacklistQuery,
        produces: ['text/plain'],
        response: {
          200: { type: 'string', description: 'Armored LICTOR BLACKLIST block' },
          ...errorResponses(),
        },
      },
    },
    async (request, reply) => {
      const { nonce } = request.query;
      const text = await center.blacklistFile();
      if (nonce !== undefined) reply.header(TIME_HEADER, JSON.stringify(center.signedTime(nonce)));
      return reply.type('text/plain; charset=utf-8').send(text);
    },
  );
};
