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
import {
  activationViewSchema,
  answeredUpgradeSchema,
  auditEventSchema,
  blacklistInputSchema,
  confirmedUpgradeSchema,
  confirmUpgradeInputSchema,
  errorResponses,
  issuedPackageSchema,
  limitQuery,
  packageSpecSchema,
  packageViewSchema,
  productInputSchema,
  productSchema,
  upgradeInputSchema,
  upgradeViewSchema,
} from './schemas.js';

const security = [{ adminToken: [] }];
const BEARER = /^Bearer\s+(\S+)\s*$/i;

const serialFilter = { type: 'string', minLength: 1, maxLength: 64, description: 'Only this package' } as const;

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

  app.get(
    '/v1/admin/products',
    {
      schema: {
        summary: 'List products',
        tags: ['admin'],
        security,
        response: {
          200: {
            type: 'object',
            required: ['products'],
            properties: { products: { type: 'array', items: productSchema } },
          },
          ...errorResponses(401),
        },
      },
    },
    async () => ({ products: await center.listProducts() }),
  );

  app.post(
    '/v1/admin/products',
    {
      schema: {
        summary: 'Add a product',
        tags: ['admin'],
        security,
        body: productInputSchema,
        response: { 201: productSchema, ...errorResponses(400, 401, 409, 413) },
      },
    },
    async (request, reply) => reply.code(201).send(await center.addProduct(request.body as ProductInput)),
  );

  app.post(
    '/v1/admin/packages',
    {
      schema: {
        summary: 'Issue a package: a serial number and its PIN codes (shown this once)',
        tags: ['admin'],
        security,
        body: packageSpecSchema,
        response: { 201: issuedPackageSchema, ...errorResponses(400, 401, 404, 413) },
      },
    },
    async (request, reply) => reply.code(201).send(await center.issuePackage(request.body as PackageSpec)),
  );

  app.get(
    '/v1/admin/packages/:serial',
    {
      schema: {
        summary: 'A package and the state of its PIN codes (never the PIN codes)',
        tags: ['admin'],
        security,
        params: {
          type: 'object',
          required: ['serial'],
          properties: { serial: { type: 'string', minLength: 1, maxLength: 64 } },
        },
        response: { 200: packageViewSchema, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => center.getPackage((request.params as { serial: string }).serial),
  );

  app.get(
    '/v1/admin/activations',
    {
      schema: {
        summary: 'List activations, newest first',
        tags: ['admin'],
        security,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            serial: serialFilter,
            limit: limitQuery('At most this many (default 100)').properties.limit,
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['activations'],
            properties: { activations: { type: 'array', items: activationViewSchema } },
          },
          ...errorResponses(400, 401),
        },
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
        summary: "Answer a container's upgrade question with an upgraded license (pending until confirmed)",
        description:
          'The answer applies only to the asking container, only on top of the state in the question. ' +
          'Earlier pending answers to a question from the same counter are superseded.',
        tags: ['admin'],
        security,
        body: upgradeInputSchema,
        response: { 201: answeredUpgradeSchema, ...errorResponses(400, 401, 403, 404, 409, 413) },
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
        summary: 'Record the confirmation code of an applied upgrade (idempotent)',
        tags: ['admin'],
        security,
        body: confirmUpgradeInputSchema,
        response: { 200: confirmedUpgradeSchema, ...errorResponses(400, 401, 413) },
      },
    },
    async (request) => center.confirmUpgrade((request.body as { code: string }).code),
  );

  app.get(
    '/v1/admin/upgrades',
    {
      schema: {
        summary: 'List upgrades with their question, answer and confirmation, newest first',
        tags: ['admin'],
        security,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            serial: serialFilter,
            containerId: { type: 'string', minLength: 1, maxLength: 64, description: 'Only this container' },
            status: { type: 'string', enum: ['pending', 'confirmed', 'superseded'] },
            limit: limitQuery('At most this many (default 100)').properties.limit,
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['upgrades'],
            properties: { upgrades: { type: 'array', items: upgradeViewSchema } },
          },
          ...errorResponses(400, 401),
        },
      },
    },
    async (request) => ({ upgrades: await center.listUpgrades(request.query as UpgradeFilter) }),
  );

  app.post(
    '/v1/admin/blacklist',
    {
      schema: {
        summary: 'Blacklist a serial number or one activation',
        tags: ['admin'],
        security,
        body: blacklistInputSchema,
        response: { 204: { type: 'null', description: 'Blacklisted' }, ...errorResponses(400, 401, 404, 413) },
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
        summary: 'Latest audit events, newest first',
        tags: ['admin'],
        security,
        querystring: limitQuery('At most this many (default 50)'),
        response: {
          200: {
            type: 'object',
            required: ['events'],
            properties: { events: { type: 'array', items: auditEventSchema } },
          },
          ...errorResponses(400, 401),
        },
      },
    },
    async (request) => ({ events: await center.audit((request.query as { limit?: number }).limit) }),
  );
};
