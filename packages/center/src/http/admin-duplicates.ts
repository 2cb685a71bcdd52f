/**
 * Admin routes of duplicate reports: the product's duplicate policy and the reports held for
 * review (list, accept → blacklist, dismiss). Registered inside the admin plugin, behind its token.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '@lictor/http-service';
import { HeldDuplicateParams, HeldDuplicateQuery, ProductCodeParams } from '@lictor/protocol/wire';
import type { Center } from '../center/types.js';
import { ref } from './messages.js';

const admin = { tags: ['admin'], security: [{ adminToken: [] }] };

/** Duplicate policy and review routes. */
export const duplicateReviewRoutes: FastifyPluginAsyncTypebox<{ center: Center }> = async (app, { center }) => {
  app.put(
    '/v1/admin/products/:code/duplicate-policy',
    {
      schema: {
        ...admin,
        operationId: 'setDuplicatePolicy',
        summary: "Choose what a product's proven duplicates do: blacklist at once, or hold for review",
        params: ProductCodeParams,
        body: ref.DuplicatePolicyInput,
        response: { 200: ref.Product, ...errorResponses(400, 401, 404, 413) },
      },
    },
    async (request) => center.setDuplicatePolicy(request.params.code, request.body.duplicatePolicy),
  );

  app.get(
    '/v1/admin/duplicates',
    {
      schema: {
        ...admin,
        operationId: 'listHeldDuplicates',
        summary: 'Duplicate reports held for review, newest first',
        querystring: HeldDuplicateQuery,
        response: { 200: ref.HeldDuplicateList, ...errorResponses(400, 401) },
      },
    },
    async (request) => ({ duplicates: await center.listHeldDuplicates(request.query.status) }),
  );

  app.post(
    '/v1/admin/duplicates/:id/decision',
    {
      schema: {
        ...admin,
        operationId: 'decideHeldDuplicate',
        summary: "Decide a held duplicate report: 'accept' blacklists its activations, 'dismiss' blacklists nothing",
        params: HeldDuplicateParams,
        body: ref.DuplicateDecision,
        response: { 200: ref.HeldDuplicate, ...errorResponses(400, 401, 404, 413) },
      },
    },
    async (request) => {
      const { id } = request.params;
      return request.body.decision === 'accept' ? center.acceptHeldDuplicate(id) : center.dismissHeldDuplicate(id);
    },
  );
};
