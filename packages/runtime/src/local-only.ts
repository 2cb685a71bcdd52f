/**
 * The runtime serves programs of this computer only, and never a web page:
 *
 * - it listens on a Unix socket and on loopback (a non-loopback listen address is refused);
 * - a request over TCP must come from a loopback address (defence in depth: the listen address
 *   already keeps others out) and name a loopback `Host` (a page that rebinds its DNS name to
 *   127.0.0.1 sends its own name);
 * - a request with an `Origin` header comes from a web page: refused, `null` included (a sandboxed
 *   iframe, a `file:` page, a redirect across origins send `Origin: null`; native clients send none);
 * - only `application/json` bodies are parsed (`text/plain` and forms, which a browser sends
 *   without asking the server first, are refused before any route runs).
 *
 * Every refusal is `LICTOR_E_NOT_LOCAL`.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { LictorError } from '@lictor/protocol';
import type { FastifyRequest } from 'fastify';

/** Whether `address` (as a socket reports it) is a loopback address: 127.0.0.0/8, ::1, or either mapped. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const a = address.toLowerCase();
  if (a === '::1' || a === '0:0:0:0:0:0:0:1') return true;
  const v4 = a.startsWith('::ffff:') ? a.slice(7) : a;
  const parts = v4.split('.');
  return parts.length === 4 && parts[0] === '127' && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

/** Whether a listen address or a `Host` name is this computer's loopback (`localhost` included). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || isLoopbackAddress(h);
}

/** The host of a `Host` header (`[::1]:8791` → `::1`, `localhost:8791` → `localhost`). */
export function hostOfHeader(header: string): string {
  if (header.startsWith('[')) {
    const end = header.indexOf(']');
    return end < 0 ? header : header.slice(1, end);
  }
  const colon = header.lastIndexOf(':');
  return colon < 0 ? header : header.slice(0, colon);
}

/** Refuses to listen on `host` unless it is loopback. */
export function assertLoopbackListen(host: string): void {
  if (!isLoopbackHost(host) || host.toLowerCase().endsWith('.localhost')) {
    throw new LictorError(
      'LICTOR_E_NOT_LOCAL',
      `the Lictor Runtime serves this computer only: it listens on 127.0.0.1 or ::1, not on ${host}`,
      { host },
    );
  }
}

function notLocal(message: string): LictorError {
  return new LictorError('LICTOR_E_NOT_LOCAL', `the Lictor Runtime serves programs of this computer only: ${message}`);
}

/**
 * Why the request `req` is refused (`LICTOR_E_NOT_LOCAL`), or `undefined` when it is local.
 * `overSocket` says whether a connection came through the runtime's Unix socket (local by
 * nature: no address, any `Host`). Both ways a request is answered call it: the Fastify app's
 * `onRequest` hook ({@link localOnly}) and the hot routes (`http/hot-routes.ts`), which hand a
 * refused request to the app, so that it is refused in one place.
 */
export function localRefusal(
  req: { headers: IncomingHttpHeaders; socket: Socket },
  overSocket: (socket: Socket) => boolean,
): LictorError | undefined {
  const origin = req.headers.origin;
  if (origin !== undefined) {
    return notLocal(`requests from web pages (Origin ${origin}) are refused`);
  }
  if (overSocket(req.socket)) return undefined;
  // Node forgets the address once the socket closes: no address, no answer.
  const address = req.socket.remoteAddress;
  if (!isLoopbackAddress(address)) {
    return notLocal(`a request from ${address ?? 'an unknown address'} is refused`);
  }
  const host = req.headers.host;
  if (host === undefined || !isLoopbackHost(hostOfHeader(host))) {
    return notLocal(`a request for host ${host ?? '(none)'} is refused; address the runtime as 127.0.0.1`);
  }
  return undefined;
}

/** The check of every request (an `onRequest` hook): {@link localRefusal}, thrown. */
export function localOnly(overSocket: (socket: Socket) => boolean) {
  return async (request: FastifyRequest): Promise<void> => {
    const refusal = localRefusal(request.raw, overSocket);
    if (refusal !== undefined) throw refusal;
  };
}
