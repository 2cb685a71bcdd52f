/** The event stream's format and keep-alive period, apart from its Fastify route (`event-routes.ts`, composed on first use) and its writer (`event-stream.ts`). */
import type { HubEvent } from '../event-hub.js';

/** Default period of the keep-alive comment. */
export const DEFAULT_KEEP_ALIVE_MS = 15_000;

/** One event in the `text/event-stream` format. */
export function formatEvent(e: HubEvent): string {
  return `id: ${e.id}\nevent: ${e.event.kind}\ndata: ${JSON.stringify(e.event)}\n\n`;
}
