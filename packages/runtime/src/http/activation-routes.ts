/**
 * Routes of activation and remote upgrade, each a thin layer over the SDK's `Licensing`:
 * `POST /v1/activations`, `POST /v1/activation-requests`, `POST /v1/licenses`,
 * `POST /v1/upgrades/question`, `POST /v1/upgrades/answer`, `GET /v1/upgrades/confirmation`.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses, messageRefs } from '@lictor/http-service';
import { ConfirmationQuery, RUNTIME_MESSAGES } from '@lictor/protocol/wire';
import type { LictorRuntime } from '../runtime.js';

const ref = messageRefs(RUNTIME_MESSAGES);
const refusals = errorResponses(400, 403, 409, 413, 503);

/** Activation online and offline, and remote upgrade. */
export const activationRoutes: FastifyPluginAsyncTypebox<{ runtime: LictorRuntime }> = async (app, { runtime }) => {
  app.post(
    '/v1/activations',
    {
      schema: {
        operationId: 'activate',
        summary: 'Activates online with a serial number and PIN code through the License Center',
        tags: ['activation'],
        body: ref.RuntimeActivationBody,
        response: { 201: ref.RuntimeActivationAnswer, ...refusals },
      },
    },
    async (request, reply) => reply.code(201).send(await runtime.activate(request.body)),
  );

  app.post(
    '/v1/activation-requests',
    {
      schema: {
        operationId: 'requestActivation',
        summary: 'Makes an offline activation request (a file or a short code) to hand to the vendor',
        tags: ['activation'],
        body: ref.ActivationRequestBody,
        response: { 201: ref.ActivationRequestAnswer, ...refusals },
      },
    },
    async (request, reply) => reply.code(201).send(await runtime.requestActivation(request.body)),
  );

  app.post(
    '/v1/licenses',
    {
      schema: {
        operationId: 'installLicense',
        summary: "Installs the vendor's answer (a license file or an answer code) to an offline request",
        tags: ['activation'],
        body: ref.InstallLicenseBody,
        response: { 201: ref.InstalledLicense, ...refusals },
      },
    },
    async (request, reply) => reply.code(201).send(await runtime.installLicense(request.body)),
  );

  app.post(
    '/v1/upgrades/question',
    {
      schema: {
        operationId: 'startUpgrade',
        summary: "Starts a remote upgrade: the question file, signed by the container's key",
        tags: ['upgrade'],
        body: ref.UpgradeQuestionBody,
        response: { 201: ref.UpgradeQuestion, ...refusals },
      },
    },
    async (request, reply) => reply.code(201).send(await runtime.startUpgrade(request.body)),
  );

  app.post(
    '/v1/upgrades/answer',
    {
      schema: {
        operationId: 'continueUpgrade',
        summary: "Applies the vendor's upgrade answer; the answer has the confirmation code",
        tags: ['upgrade'],
        body: ref.UpgradeAnswerBody,
        response: { 200: ref.AppliedUpgrade, ...refusals },
      },
    },
    async (request) => runtime.continueUpgrade(request.body),
  );

  app.get(
    '/v1/upgrades/confirmation',
    {
      schema: {
        operationId: 'getConfirmationCode',
        summary: 'The confirmation code of the last upgrade applied to a container, shown again',
        tags: ['upgrade'],
        querystring: ConfirmationQuery,
        response: { 200: ref.ConfirmationAnswer, ...refusals },
      },
    },
    async (request) => runtime.confirmationCode(request.query),
  );
};
