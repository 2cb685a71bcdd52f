/**
 * What the runtime's servers answer to a request Node cannot parse (`clientError`): the same
 * bytes as Fastify's default handler, whether or not the Fastify app has been loaded yet (it
 * loads on the first request the hot routes do not answer) and on both servers (Fastify installs
 * its handler on the first only). Registered before Fastify's, so Fastify's finds the socket
 * destroyed and does nothing.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { nodeHttp } from '@lictor/http-service/node-http';

/** The status and message Fastify's default `clientErrorHandler` gives `code`. */
function answerFor(code: string | undefined): { status: number; message: string } {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, message: 'Client Timeout' };
  if (code === 'HPE_HEADER_OVERFLOW') return { status: 431, message: 'Exceeded maximum allowed HTTP header size' };
  return { status: 400, message: 'Client Error' };
}

/** Answers `server`'s client errors as Fastify's default handler does. */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // A reset connection has nobody to answer.
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const { status, message } = answerFor(err.code);
    const body = JSON.stringify({ error: nodeHttp.STATUS_CODES[status], message, statusCode: status });
    if (socket.writable) {
      socket.write(
        `HTTP/1.1 ${status} ${nodeHttp.STATUS_CODES[status]}\r\nContent-Length: ${body.length}\r\nContent-Type: application/json\r\n\r\n${body}`,
      );
    }
    socket.destroy(err);
  });
}
