/**
 * Admin routes of duplicate reports: the product's duplicate policy and the reports held for
 * review (list, accept → blacklist, dismiss). Registered inside the admin plugin, behind its token.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Center, DuplicatePolicy, HeldDuplicate } from '../center/types.js';
import {
  duplicatePolicyInputSchema,
  errorResponses,
  heldDuplicateSchema,
  listAnswer,
  productSchema,
  requiredObject,
  strictObject,
} from './schemas.js';

const admin = { tags: ['admin'], security: [{ adminToken: [] }] };
const idParams = requiredObject({ id: { type: 'string', maxLength: 64 } });
const codeParams = requiredObject({ code: { type: 'string', maxLength: 64 } });

/** Duplicate policy and review routes. */
export const duplicateReviewRoutes: FastifyPluginAsync<{ center: Center }> = async (app, { center }) => {
  app.put(
    '/v1/admin/products/:code/duplicate-policy',
    {
      schema: {
        ...admin,
        summary: "Choose what a product's proven duplicates do: blacklist at once, or hold for review",
        params: codeParams,
        body: duplicatePolicyInputSchema,
        response: { 200: productSchema, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) =>
      center.setDuplicatePolicy(
        (request.params as { code: string }).code,
        (request.body as { duplicatePolicy: DuplicatePolicy }).duplicatePolicy,
      ),
  );

  app.get(
    '/v1/admin/duplicates',
    {
      schema: {
        ...admin,
        summary: 'Duplicate reports held for review, newest first',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { status: { type: 'string', enum: ['pending', 'accepted', 'dismissed'] } },
        },
        response: { 200: listAnswer('duplicates', heldDuplicateSchema), ...errorResponses(400, 401) },
      },
    },
    async (request) => ({
      duplicates: await center.listHeldDuplicates((request.query as { status?: HeldDuplicate['status'] }).status),
    }),
  );

  app.post(
    '/v1/admin/duplicates/:id/decision',
    {
      schema: {
        ...admin,
        summary: "Decide a held duplicate report: 'accept' blacklists its activations, 'dismiss' blacklists nothing",
        params: idParams,
        body: strictObject(['decision'], { decision: { type: 'string', enum: ['accept', 'dismiss'] } }),
        response: { 200: heldDuplicateSchema, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const { decision } = request.body as { decision: 'accept' | 'dismiss' };
      return decision === 'accept' ? center.acceptHeldDuplicate(id) : center.dismissHeldDuplicate(id);
    },
  );
};
