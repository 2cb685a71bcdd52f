/** Admin routes: products, packages, activations, blacklist and audit, behind the admin token. */
import { LictorError } from '@lictor/protocol';
import type { FastifyPluginAsync } from 'fastify';
import type {
  BlacklistInput,
  Center,
  PackageSpec,
  ProductInput,
  UpgradeChanges,
  UpgradeFilter,
} from '../center/types.js';
import { duplicateReviewRoutes } from './admin-duplicates.js';
import {
  activationFilterQuery,
  activationViewSchema,
  answeredUpgradeSchema,
  auditEventSchema,
  blacklistInputSchema,
  confirmedUpgradeSchema,
  confirmUpgradeInputSchema,
  errorResponses,
  issuedPackageSchema,
  limitQuery,
  listAnswer,
  packageSpecSchema,
  packageViewSchema,
  productInputSchema,
  productSchema,
  serialParams,
  upgradeFilterQuery,
  upgradeInputSchema,
  upgradeViewSchema,
} from './schemas.js';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** What every admin route's schema says: its tag and the admin token. */
const admin = { tags: ['admin'], security: [{ adminToken: [] }] };

/** Error answers of an admin route: 401 without the admin token, and `statuses`. */
function adminErrors(...statuses: number[]) {
  return errorResponses(401, ...statuses);
}

/** Admin route plugin; every route needs `Authorization: Bearer <admin token>`. */
export const adminRoutes: FastifyPluginAsync<{ center: Center }> = async (app, { center }) => {
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
        summary: 'List products',
        response: { 200: listAnswer('products', productSchema), ...adminErrors() },
      },
    },
    async () => ({ products: await center.listProducts() }),
  );

  app.post(
    '/v1/admin/products',
    {
      schema: {
        ...admin,
        summary: 'Add a product',
        body: productInputSchema,
        response: { 201: productSchema, ...adminErrors(400, 409, 413) },
      },
    },
    async (request, reply) => reply.code(201).send(await center.addProduct(request.body as ProductInput)),
  );

  app.post(
    '/v1/admin/packages',
    {
      schema: {
        ...admin,
        summary: 'Issue a package: a serial number and its PIN codes (shown this once)',
        body: packageSpecSchema,
        response: { 201: issuedPackageSchema, ...adminErrors(400, 404, 413) },
      },
    },
    async (request, reply) => reply.code(201).send(await center.issuePackage(request.body as PackageSpec)),
  );

  app.get(
    '/v1/admin/packages/:serial',
    {
      schema: {
        ...admin,
        summary: 'A package and the state of its PIN codes (never the PIN codes)',
        params: serialParams,
        response: { 200: packageViewSchema, ...adminErrors(400, 404) },
      },
    },
    async (request) => center.getPackage((request.params as { serial: string }).serial),
  );

  app.get(
    '/v1/admin/activations',
    {
      schema: {
        ...admin,
        summary: 'List activations, newest first',
        querystring: activationFilterQuery,
        response: { 200: listAnswer('activations', activationViewSchema), ...adminErrors(400) },
      },
    },
    async (request) => ({
      activations: await center.listActivations(request.query as { serial?: string; limit?: number }),
    }),
  );

  app.post(
    '/v1/admin/upgrades',
    {
      schema: {
        ...admin,
        summary: "Answer a container's upgrade question with an upgraded license (pending until confirmed)",
        description:
          'The answer applies only to the asking container, only on top of the state in the question. ' +
          'Earlier pending answers to a question from the same counter are superseded.',
        body: upgradeInputSchema,
        response: { 201: answeredUpgradeSchema, ...adminErrors(400, 403, 404, 409, 413) },
      },
    },
    async (request, reply) => {
      const { question, ...changes } = request.body as { question: string } & UpgradeChanges;
      return reply.code(201).send(await center.answerUpgrade(question, changes, { clientIp: request.ip }));
    },
  );

  app.post(
    '/v1/admin/upgrades/confirm',
    {
      schema: {
        ...admin,
        summary: 'Record the confirmation code of an applied upgrade (idempotent)',
        body: confirmUpgradeInputSchema,
        response: { 200: confirmedUpgradeSchema, ...adminErrors(400, 413) },
      },
    },
    async (request) => center.confirmUpgrade((request.body as { code: string }).code),
  );

  app.get(
    '/v1/admin/upgrades',
    {
      schema: {
        ...admin,
        summary: 'List upgrades with their question, answer and confirmation, newest first',
        querystring: upgradeFilterQuery,
        response: { 200: listAnswer('upgrades', upgradeViewSchema), ...adminErrors(400) },
      },
    },
    async (request) => ({ upgrades: await center.listUpgrades(request.query as UpgradeFilter) }),
  );

  app.post(
    '/v1/admin/blacklist',
    {
      schema: {
        ...admin,
        summary: 'Blacklist a serial number or one activation',
        body: blacklistInputSchema,
        response: { 204: { type: 'null', description: 'Blacklisted' }, ...adminErrors(400, 404, 413) },
      },
    },
    async (request, reply) => {
      await center.addToBlacklist(request.body as BlacklistInput);
      return reply.code(204).send();
    },
  );

  app.get(
    '/v1/admin/audit',
    {
      schema: {
        ...admin,
        summary: 'Latest audit events, newest first',
        querystring: limitQuery('At most this many (default 50)'),
        response: { 200: listAnswer('events', auditEventSchema), ...adminErrors(400) },
      },
    },
    async (request) => ({ events: await center.audit((request.query as { limit?: number }).limit) }),
  );
};
