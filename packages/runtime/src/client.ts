/**
 * A small client of a running runtime, over its Unix socket or loopback HTTP: what `lictor
 * runtime status` uses (applications use the language clients, or any HTTP client).
 */
import { nodeHttp } from '@lictor/http-service/node-http';
import { type ErrorBody, isErrorCode, LictorError } from '@lictor/protocol';
import type { RuntimeStatus } from '@lictor/protocol/wire';

/** Where the runtime answers: its Unix socket, or its loopback URL. */
export type RuntimeTarget = { socket: string } | { url: string };

/** An answer: the status and the JSON body. */
interface Answer {
  status: number;
  json: unknown;
}

function describe(target: RuntimeTarget): string {
  return 'socket' in target ? `unix:${target.socket}` : target.url;
}

/**
 * How long a request waits for the runtime's answer by default, as the C, Java and Python clients
 * wait (10–30 s): a runtime that is not running is refused at once, and the first request that the
 * hot routes do not answer waits while the runtime loads its HTTP app, seconds on a busy computer.
 */
export const RUNTIME_CALL_TIMEOUT_MS = 30_000;

/** One request to the runtime; `LICTOR_E_RUNTIME_UNREACHABLE` when nothing answers. */
export function callRuntime(
  target: RuntimeTarget,
  method: string,
  path: string,
  body?: unknown,
  timeoutMs = RUNTIME_CALL_TIMEOUT_MS,
): Promise<Answer> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const where =
    'socket' in target
      ? { socketPath: target.socket, path }
      : (() => {
          const url = new URL(path, target.url);
          return { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port, path: url.pathname + url.search };
        })();
  return new Promise((resolve, reject) => {
    const req = nodeHttp.request(
      {
        ...where,
        method,
        headers: {
          accept: 'application/json',
          ...(payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
        },
        timeout: timeoutMs,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => {
          let json: unknown = null;
          try {
            json = text === '' ? null : JSON.parse(text);
          } catch {
            json = null;
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      },
    );
    const unreachable = (why: string) =>
      reject(
        new LictorError(
          'LICTOR_E_RUNTIME_UNREACHABLE',
          `the Lictor Runtime does not answer at ${describe(target)} (${why}): start it (lictor runtime serve), or name it with --socket or --url`,
          { target: describe(target) },
        ),
      );
    req.on('timeout', () => {
      req.destroy();
      unreachable(`no answer within ${timeoutMs} ms`);
    });
    req.on('error', (error: NodeJS.ErrnoException) => unreachable(error.code ?? error.message));
    req.end(payload);
  });
}

/** `GET /v1/status` of the runtime at `target`, checked against its message. */
export async function runtimeStatus(target: RuntimeTarget): Promise<RuntimeStatus> {
  const answer = await callRuntime(target, 'GET', '/v1/status');
  const json = answer.json as ErrorBody | null;
  if (answer.status !== 200) {
    if (json && typeof json.code === 'string' && isErrorCode(json.code)) {
      throw new LictorError(json.code, json.message, json.details);
    }
    throw new LictorError(
      'LICTOR_E_RUNTIME_UNREACHABLE',
      `${describe(target)} answered HTTP ${answer.status}, not as a Lictor Runtime`,
    );
  }
  // Imported here: the wire schemas are TypeBox's builders, which a serving runtime (whose CLI
  // imports this module) does not load otherwise.
  const { isWire, RuntimeStatus, wireProblem } = await import('@lictor/protocol/wire');
  if (!isWire(RuntimeStatus, answer.json)) {
    throw new LictorError(
      'LICTOR_E_RUNTIME_UNREACHABLE',
      `${describe(target)} does not answer as a Lictor Runtime: ${wireProblem(RuntimeStatus, answer.json)}`,
    );
  }
  return answer.json;
}
