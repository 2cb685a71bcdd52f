/**
 * The writing of `GET /v1/events` streams (server-sent events), apart from both ways a request
 * reaches it: the Fastify route (`event-routes.ts`, after its query and header checks, the reply
 * hijacked) and the raw listener (`hot-routes.ts`), so that both write the same bytes. Each
 * event is `id: <runtime start>-<sequence>`, `event: <kind>` and `data: <RuntimeEvent JSON>`; a
 * client that reconnects with `Last-Event-ID` gets what it missed, or a `reset` event when that
 * is lost. A comment line every `keepAliveMs` keeps idle connections open through proxies and
 * tells clients the runtime still runs. One set of open streams for both paths: all end when
 * the service closes ({@link EventStreams.endAll}: the Fastify app's `preClose`, and
 * `RuntimeServer.close()` when the app was never composed).
 */
import type { ServerResponse } from 'node:http';
import type { Scheduler } from '@lictor/protocol';
import type { HubEvent } from '../event-hub.js';
import type { LictorRuntime } from '../runtime.js';
import { formatEvent } from './event-format.js';

/** A client that leaves this much unread is cut off (it reconnects with `Last-Event-ID`). */
export const MAX_UNREAD_BYTES = 1024 * 1024;

/** The headers of an event stream. */
const STREAM_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-store',
  connection: 'keep-alive',
  'x-content-type-options': 'nosniff',
} as const;

/** The runtime's open event streams. */
export class EventStreams {
  readonly #open = new Set<() => void>();

  constructor(
    private readonly runtime: LictorRuntime,
    private readonly scheduler: Scheduler,
    private readonly keepAliveMs: number,
  ) {}

  /** Streams open now. */
  get count(): number {
    return this.#open.size;
  }

  /**
   * Answers `res` with the stream: the replay after `lastEventId` (the header `Last-Event-ID`,
   * checked by the caller), then every event as it comes, only license changes of `product`
   * when it is given (other kinds always), until the connection closes or {@link endAll}.
   */
  open(res: ServerResponse, product: string | undefined, lastEventId: string | undefined): void {
    const { runtime, scheduler } = this;
    const wanted = (e: HubEvent) =>
      product === undefined || e.event.product === undefined || e.event.product === product;
    const replay = runtime.events.since(lastEventId);
    res.writeHead(200, STREAM_HEADERS);
    res.write(': Lictor Runtime events\n\n');
    if (replay.reset) res.write(formatEvent(runtime.events.resetEvent()));
    for (const e of replay.events) if (wanted(e)) res.write(formatEvent(e));
    const unsubscribe = runtime.events.subscribe((e) => {
      if (!wanted(e)) return;
      res.write(formatEvent(e));
      if (res.writableLength > MAX_UNREAD_BYTES) end();
    });
    const keepAlive = scheduler.setInterval(() => res.write(': keep-alive\n\n'), this.keepAliveMs);
    const end = () => {
      if (!this.#open.delete(end)) return;
      unsubscribe();
      scheduler.clearInterval(keepAlive);
      res.end();
    };
    this.#open.add(end);
    res.on('close', end);
  }

  /** Ends every open stream (the service closes). */
  endAll(): void {
    for (const end of [...this.#open]) end();
  }
}
