/** Admin routes: products, packages, activations, blacklist and audit, behind the admin token. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '@lictor/http-service';
import { LictorError } from '@lictor/protocol';
import { ActivationFilterQuery, AuditQuery, SerialParams, UpgradeFilterQuery } from '@lictor/protocol/wire';
import type { Center } from '../center/types.js';
import { duplicateReviewRoutes } from './admin-duplicates.js';
import { ref } from './messages.js';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** What every admin route's schema says: its tag and the admin token. */
const admin = { tags: ['admin'], security: [{ adminToken: [] }] };

/** Error answers of an admin route: 401 without the admin token, and `statuses`. */
function adminErrors(...statuses: number[]) {
  return errorResponses(401, ...statuses);
}

/** Admin route plugin; every route needs `Authorization: Bearer <admin token>`. */
export const adminRoutes: FastifyPluginAsyncTypebox<{ center: Center }> = async (app, { center }) => {
  app.addHook('onRequest', async (request) => {
    const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
    if (token === undefined || !center.verifyAdminToken(token)) {
      throw new LictorError(
        'LICTOR_E_UNAUTHORIZED',
        "send the admin token printed by 'lictor center init' as 'Authorization: Bearer <token>'",
      );
    }
  });

  // Behind the same token (the hook above applies to this child plugin too).
  await app.register(duplicateReviewRoutes, { center });

  app.get(
    '/v1/admin/products',
    {
      schema: {
        ...admin,
        operationId: 'listProducts',
        summary: 'List products',
        response: { 200: ref.ProductList, ...adminErrors() },
      },
    },
    async () => ({ products: await center.listProducts() }),
  );

  app.post(
    '/v1/admin/products',
    {
      schema: {
        ...admin,
        operationId: 'addProduct',
        summary: 'Add a product',
        body: ref.ProductInput,
        response: { 201: ref.Product, ...adminErrors(400, 409, 413) },
      },
    },
    async (request, reply) => reply.code(201).send(await center.addProduct(request.body)),
  );

  app.post(
    '/v1/admin/packages',
    {
      schema: {
        ...admin,
        operationId: 'issuePackage',
        summary: 'Issue a package: a serial number and its PIN codes (shown this once)',
        body: ref.PackageSpec,
        response: { 201: ref.IssuedPackage, ...adminErrors(400, 404, 413) },
      },
    },
    async (request, reply) => reply.code(201).send(await center.issuePackage(request.body)),
  );

  app.get(
    '/v1/admin/packages/:serial',
    {
      schema: {
        ...admin,
        operationId: 'getPackage',
        summary: 'A package and the state of its PIN codes (never the PIN codes)',
        params: SerialParams,
        response: { 200: ref.PackageView, ...adminErrors(400, 404) },
      },
    },
    async (request) => center.getPackage(request.params.serial),
  );

  app.get(
    '/v1/admin/activations',
    {
      schema: {
        ...admin,
        operationId: 'listActivations',
        summary: 'List activations, newest first',
        querystring: ActivationFilterQuery,
        response: { 200: ref.ActivationList, ...adminErrors(400) },
      },
    },
    async (request) => ({
      activations: await center.listActivations(request.query),
    }),
  );

  app.post(
    '/v1/admin/upgrades',
    {
      schema: {
        ...admin,
        operationId: 'answerUpgrade',
        summary: "Answer a container's upgrade question with an upgraded license (pending until confirmed)",
        description:
          'The answer applies only to the asking container, only on top of the state in the question. ' +
          'Earlier pending answers to a question from the same counter are superseded.',
        body: ref.UpgradeInput,
        response: { 201: ref.AnsweredUpgrade, ...adminErrors(400, 403, 404, 409, 413) },
      },
    },
    async (request, reply) => {
      const { question, ...changes } = request.body;
      return reply.code(201).send(await center.answerUpgrade(question, changes, { clientIp: request.ip }));
    },
  );

  app.post(
    '/v1/admin/upgrades/preview',
    {
      schema: {
        ...admin,
        operationId: 'previewUpgrade',
        summary: 'What answering an upgrade question would change, checked but neither signed nor recorded',
        body: ref.UpgradeInput,
        response: { 200: ref.UpgradePreview, ...adminErrors(400, 403, 404, 409, 413) },
      },
    },
    async (request) => {
      const { question, ...changes } = request.body;
      return center.previewUpgrade(question, changes);
    },
  );

  app.post(
    '/v1/admin/upgrades/confirm',
    {
      schema: {
        ...admin,
        operationId: 'confirmUpgrade',
        summary: 'Record the confirmation code of an applied upgrade (idempotent)',
        body: ref.ConfirmUpgrade,
        response: { 200: ref.ConfirmedUpgrade, ...adminErrors(400, 413) },
      },
    },
    async (request) => center.confirmUpgrade(request.body.code),
  );

  app.get(
    '/v1/admin/upgrades',
    {
      schema: {
        ...admin,
        operationId: 'listUpgrades',
        summary: 'List upgrades with their question, answer and confirmation, newest first',
        querystring: UpgradeFilterQuery,
        response: { 200: ref.UpgradeList, ...adminErrors(400) },
      },
    },
    async (request) => ({ upgrades: await center.listUpgrades(request.query) }),
  );

  app.post(
    '/v1/admin/blacklist',
    {
      schema: {
        ...admin,
        operationId: 'addToBlacklist',
        summary: 'Blacklist a serial number or one activation',
        body: ref.BlacklistInput,
        response: { 204: { type: 'null', description: 'Blacklisted' }, ...adminErrors(400, 404, 413) },
      },
    },
    async (request, reply) => {
      await center.addToBlacklist(request.body);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/admin/audit',
    {
      schema: {
        ...admin,
        operationId: 'listAuditEvents',
        summary: 'Latest audit events, newest first',
        querystring: AuditQuery,
        response: { 200: ref.AuditEventList, ...adminErrors(400) },
      },
    },
    async (request) => ({ events: await center.audit(request.query.limit) }),
  );
};
