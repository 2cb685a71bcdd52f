/**
 * `GET /v1/events`: server-sent events. Each event is `id: <runtime start>-<sequence>`, `event:
 * <kind>` and `data: <RuntimeEvent JSON>`; a client that reconnects with `Last-Event-ID` gets
 * what it missed, or a `reset` event when that is lost. A comment line every `keepAliveMs` keeps
 * idle connections open through proxies and tells clients the runtime still runs.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '@lictor/http-service';
import type { Scheduler } from '@lictor/protocol';
import { EventsQuery } from '@lictor/protocol/wire';
import type { HubEvent } from '../event-hub.js';
import type { LictorRuntime } from '../runtime.js';
import { formatEvent } from './event-format.js';

/** A client that leaves this much unread is cut off (it reconnects with `Last-Event-ID`). */
export const MAX_UNREAD_BYTES = 1024 * 1024;

/** Options of {@link eventRoutes}. */
export interface EventRoutesOptions {
  runtime: LictorRuntime;
  scheduler: Scheduler;
  keepAliveMs: number;
}

/** The event stream; open streams end when the server closes. */
export const eventRoutes: FastifyPluginAsyncTypebox<EventRoutesOptions> = async (
  app,
  { runtime, scheduler, keepAliveMs },
) => {
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });

  app.get(
    '/v1/events',
    {
      schema: {
        operationId: 'streamEvents',
        summary:
          'Server-sent events: license changes, sessions freed, seats lost and taken again (with ?product=, only those of that product)',
        tags: ['events'],
        querystring: EventsQuery,
        headers: {
          type: 'object',
          properties: { 'last-event-id': { type: 'string', maxLength: 128 } },
        },
        response: {
          200: {
            description: 'A text/event-stream; the data of each event is a RuntimeEvent',
            content: { 'text/event-stream': { schema: { $ref: 'RuntimeEvent#' } } },
          },
          ...errorResponses(400, 403),
        },
      },
    },
    async (request, reply) => {
      const { product } = request.query;
      const wanted = (e: HubEvent) =>
        product === undefined || e.event.product === undefined || e.event.product === product;
      const lastEventId = request.headers['last-event-id'];
      const replay = runtime.events.since(typeof lastEventId === 'string' ? lastEventId : undefined);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-content-type-options': 'nosniff',
      });
      res.write(': Lictor Runtime events\n\n');
      if (replay.reset) res.write(formatEvent(runtime.events.resetEvent()));
      for (const e of replay.events) if (wanted(e)) res.write(formatEvent(e));
      const unsubscribe = runtime.events.subscribe((e) => {
        if (!wanted(e)) return;
        res.write(formatEvent(e));
        if (res.writableLength > MAX_UNREAD_BYTES) end();
      });
      const keepAlive = scheduler.setInterval(() => res.write(': keep-alive\n\n'), keepAliveMs);
      const end = () => {
        if (!open.delete(end)) return;
        unsubscribe();
        scheduler.clearInterval(keepAlive);
        res.end();
      };
      open.add(end);
      res.on('close', end);
    },
  );
};
