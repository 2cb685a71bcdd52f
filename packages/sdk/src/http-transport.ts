/**
 * The SDK's outgoing HTTP (License Managers, the License Center) over `node:http` and
 * `node:https`, not the global `fetch`: `fetch` is Node's undici, 10–13 MiB more resident memory
 * in the process that first calls it, which a long-running service that takes seats (the Lictor
 * Runtime) carries all day. Both modules are taken with `require`: importing `node:http` as an ES
 * module loads undici as well (its ESM facade reads the `WebSocket` getters; see
 * `@lictor/http-service`'s `node-http.ts`). `node:https` (and TLS with it) is loaded only for the
 * first `https:` URL.
 *
 * A {@link HttpTransport} answers with the status, headers and body text, which is all the SDK's
 * clients read. Its errors are those callers already told apart: a timeout rejects with an error
 * named `TimeoutError` (as `AbortSignal.timeout` does), an abort with one named `AbortError`, and
 * a network failure with Node's own error, whose `code` names it (`ECONNREFUSED`, …).
 */
import type { Agent, ClientRequest } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import { createRequire } from 'node:module';

type NodeHttp = typeof import('node:http');
type NodeHttps = typeof import('node:https');

const require = createRequire(import.meta.url);
const nodeHttp: NodeHttp = require('node:http');
let nodeHttps: NodeHttps | undefined;

/** One request. */
export interface HttpRequest {
  /** Default `GET`. */
  method?: string;
  headers?: Record<string, string>;
  /** The body, sent as UTF-8 with its length. */
  body?: string;
  /** Give up after this many ms (sending and the whole answer): rejects with an error named `TimeoutError`. */
  timeoutMs: number;
  /** Gives up when aborted: rejects with an error named `AbortError`. */
  signal?: AbortSignal;
}

/** An answer: its status, its headers and its whole body as text. */
export interface HttpAnswer {
  status: number;
  /** The header `name` (case-insensitive), its values joined with `, `; `null` when absent. */
  header(name: string): string | null;
  text: string;
}

/** Sends requests; {@link HttpTransport.close} ends its idle connections. */
export interface HttpTransport {
  request(url: URL, request: HttpRequest): Promise<HttpAnswer>;
  /** Closes the connections it keeps (a later request opens new ones). */
  close(): void;
}

/** Network failures that mean the server closed a kept-alive connection as it was reused. */
const STALE_SOCKET = new Set(['ECONNRESET', 'EPIPE']);

/**
 * Requests over `node:http`/`node:https`. With `keepAlive` (a client that asks the same servers
 * again and again, as the manager client's heartbeats do) it has agents of its own that keep
 * connections open between requests; without, it uses Node's global agents.
 */
export function nodeHttpTransport(options: { keepAlive?: boolean } = {}): HttpTransport {
  let httpAgent: Agent | undefined;
  let httpsAgent: HttpsAgent | undefined;
  const agentOf = (secure: boolean): Agent | undefined => {
    if (options.keepAlive !== true) return undefined;
    if (secure) {
      httpsAgent ??= new (https().Agent)({ keepAlive: true });
      return httpsAgent;
    }
    httpAgent ??= new nodeHttp.Agent({ keepAlive: true });
    return httpAgent;
  };
  return {
    request: (url, request) => send(url, request, agentOf),
    close: () => {
      httpAgent?.destroy();
      httpsAgent?.destroy();
    },
  };
}

/** Requests through `fetch` (a function given by the application or a test, e.g. to record or alter answers). */
export function fetchTransport(fetchFn: typeof fetch): HttpTransport {
  return {
    async request(url, request) {
      const timeout = AbortSignal.timeout(request.timeoutMs);
      const signal = request.signal === undefined ? timeout : AbortSignal.any([timeout, request.signal]);
      const response = await fetchFn(url, {
        method: request.method ?? 'GET',
        ...(request.headers === undefined ? {} : { headers: request.headers }),
        ...(request.body === undefined ? {} : { body: request.body }),
        signal,
      });
      const text = await response.text();
      return { status: response.status, header: (name) => response.headers.get(name), text };
    },
    close: () => undefined,
  };
}

/** The answer's body parsed as JSON; `null` when it is not JSON. */
export function jsonOf(answer: HttpAnswer): unknown {
  try {
    return JSON.parse(answer.text);
  } catch {
    return null;
  }
}

/** The transport of SDK functions that ask once in a while (blacklist, activation, dongles): Node's global agents. */
export const defaultHttpTransport: HttpTransport = nodeHttpTransport();

function https(): NodeHttps {
  nodeHttps ??= require('node:https') as NodeHttps;
  return nodeHttps;
}

function named(name: string, message: string, cause?: unknown): Error {
  const error = new Error(message, cause === undefined ? undefined : { cause });
  error.name = name;
  return error;
}

function send(url: URL, request: HttpRequest, agentOf: (secure: boolean) => Agent | undefined): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const secure = url.protocol === 'https:';
    if (!secure && url.protocol !== 'http:') {
      reject(new TypeError(`not an http: or https: URL: ${url.href}`));
      return;
    }
    const body = request.body === undefined ? undefined : Buffer.from(request.body, 'utf8');
    const headers: Record<string, string> = { ...request.headers };
    if (body !== undefined) headers['content-length'] = String(body.length);
    let current: ClientRequest | undefined;
    let settled = false;
    const finish = (error: Error | undefined, answer?: HttpAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
      if (error === undefined) resolve(answer as HttpAnswer);
      else {
        current?.destroy();
        reject(error);
      }
    };
    const timer = setTimeout(
      () => finish(named('TimeoutError', `no answer within ${request.timeoutMs} ms from ${url.origin}`)),
      request.timeoutMs,
    );
    const onAbort = () => finish(named('AbortError', 'the request was aborted', request.signal?.reason));
    if (request.signal?.aborted) {
      onAbort();
      return;
    }
    request.signal?.addEventListener('abort', onAbort, { once: true });

    const attempt = (retry: boolean) => {
      let answered = false;
      const req = (secure ? https() : nodeHttp).request(
        url,
        { method: request.method ?? 'GET', headers, agent: agentOf(secure) },
        (res) => {
          answered = true;
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', (error) => finish(error));
          res.on('close', () => {
            if (!res.complete) {
              finish(
                Object.assign(new Error('the connection closed before the whole answer came'), { code: 'ECONNRESET' }),
              );
            }
          });
          res.on('end', () =>
            finish(undefined, {
              status: res.statusCode ?? 0,
              header: (name) => {
                const value = res.headers[name.toLowerCase()];
                return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
              },
              text: Buffer.concat(chunks).toString('utf8'),
            }),
          );
        },
      );
      current = req;
      req.on('error', (error: Error & { code?: string }) => {
        // A kept-alive connection the server closed as it was reused: the request never reached
        // it; once more on a new connection (as Node's documentation of `reusedSocket` advises).
        if (retry && !answered && !settled && req.reusedSocket && STALE_SOCKET.has(error.code ?? '')) {
          attempt(false);
          return;
        }
        finish(error);
      });
      req.end(body);
    };
    attempt(true);
  });
}
