/**
 * A small client of a running runtime, over its Unix socket or loopback HTTP: what `lictor
 * runtime status` uses, and {@link RuntimeClient}, checks and sessions with every answer verified
 * with the vendor key alone, within answer sessions (applications in other languages use the
 * language clients, or any HTTP client).
 */
import { nodeHttp } from '@lictor/http-service/node-http';
import {
  ANSWER_SESSION_HEADER,
  type AnswerMacKey,
  answerMacKey,
  answerNonce,
  answerSessionId,
  type ErrorBody,
  isErrorCode,
  type LicenseDocument,
  LictorError,
  newAnswerSession,
  parsePublicKey,
  type RuntimeAnswerPurpose,
  randomBytes,
  type VendorPublicKey,
  type VerifiedRuntimeAnswer,
  verifyRuntimeAnswer,
} from '@lictor/protocol';
import type { GrantedLicense, RuntimeStatus } from '@lictor/protocol/wire';
import { listenerText } from './listen.js';

/** Where the runtime answers: its Unix socket or Windows named pipe (`socket`), or its loopback URL. */
export type RuntimeTarget = { socket: string } | { url: string };

/** An answer: the status and the JSON body. */
interface Answer {
  status: number;
  json: unknown;
}

function describe(target: RuntimeTarget): string {
  return 'socket' in target ? listenerText(target.socket) : target.url;
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
  headers: Readonly<Record<string, string>> = {},
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
          ...headers,
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
          `the Lictor Runtime does not answer at ${describe(target)} (${why}): start it (lictor runtime serve), or name it with --socket, --pipe (Windows) or --url`,
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

/** Throws the runtime's refusal (its code), unless `answer` has `status`. */
function expectStatus(target: RuntimeTarget, answer: Answer, status: number): void {
  if (answer.status === status) return;
  const json = answer.json as ErrorBody | null;
  if (json && typeof json.code === 'string' && isErrorCode(json.code)) {
    throw new LictorError(json.code, json.message, json.details);
  }
  throw new LictorError(
    'LICTOR_E_RUNTIME_UNREACHABLE',
    `${describe(target)} answered HTTP ${answer.status}, not as a Lictor Runtime`,
  );
}

/** `GET /v1/status` of the runtime at `target`, checked against its message. */
export async function runtimeStatus(target: RuntimeTarget): Promise<RuntimeStatus> {
  const answer = await callRuntime(target, 'GET', '/v1/status');
  expectStatus(target, answer, 200);
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

/** Options of a {@link RuntimeClient}. */
export interface RuntimeClientOptions {
  /** Where the runtime answers. */
  target: RuntimeTarget;
  /** The vendor public key the application embeds (`lictor-ed25519:…`): answers are verified with it alone. */
  publicKey: string;
  /**
   * `session` (the default): after the first verified signed answer of a license, answers that
   * license grants come MAC'd within an answer session (`docs/spec/signed-answers.md`, "Sessions
   * with the runtime"); `signature`: every answer signed by the license's container key.
   */
  proof?: 'session' | 'signature';
  /** The application's clock, epoch ms (default `Date.now`): a license expired by then does not cover. */
  now?: () => number;
  /** Per request (default {@link RUNTIME_CALL_TIMEOUT_MS}). */
  timeoutMs?: number;
}

/** A client's answer session with the runtime: a secret sealed to one license's container key. */
interface ClientSession {
  /** {@link answerSessionId} of `sealed`. */
  id: string;
  sealed: string;
  mac: AnswerMacKey;
  /** The license (verified) the secret is sealed to. */
  license: LicenseDocument;
  /** The runtime answered with a MAC under this session (send the id alone). */
  confirmed: boolean;
}

/** A granted check, verified (`answer` as signed). */
export type VerifiedCheck = VerifiedRuntimeAnswer<GrantedLicense>;

/** An opened session, verified. */
export type VerifiedSession = VerifiedRuntimeAnswer<{
  id: string;
  product: string;
  feature: string | null;
  serial: string;
  licenseId: string;
  licenseFile: string;
  pid: number;
  osSession: string;
  openedAt: string;
}>;

/**
 * Checks and sessions of a runtime, each answer verified with the vendor public key alone
 * (`verifyRuntimeAnswer`): a fake runtime, or one that holds no genuine license of this vendor, is
 * refused with `LICTOR_E_ANSWER_UNPROVEN`. Within answer sessions by default: after the first
 * verified signed answer of a license, the client seals a fresh 32-byte secret to that license's
 * certified X25519 key and sends it (header `lictor-session`) with the next requests for the
 * same product and feature, until an answer comes MAC'd under it; from then on it sends the
 * session's id. A signed answer by the session's license means the runtime lost the session (a
 * restart): the sealed secret is sent again. A signed answer by another license starts a session
 * with that license.
 */
export class RuntimeClient {
  readonly #target: RuntimeTarget;
  readonly #publicKey: VendorPublicKey;
  readonly #sessions: boolean;
  readonly #now: () => number;
  readonly #timeoutMs: number;
  /** Sessions by the container id of their license. */
  readonly #byContainer = new Map<string, ClientSession>();
  /** The container of the license that last granted each product and feature (`product\0feature`). */
  readonly #granting = new Map<string, string>();

  constructor(options: RuntimeClientOptions) {
    this.#target = options.target;
    this.#publicKey = parsePublicKey(options.publicKey);
    this.#sessions = (options.proof ?? 'session') === 'session';
    this.#now = options.now ?? Date.now;
    this.#timeoutMs = options.timeoutMs ?? RUNTIME_CALL_TIMEOUT_MS;
  }

  /** `POST /v1/check`: is `product` (its `feature`) licensed? The grant, verified; a refusal is thrown with its code. */
  check(product: string, feature?: string): Promise<VerifiedCheck> {
    return this.#ask('runtime-check', '/v1/check', 200, { product, ...(feature === undefined ? {} : { feature }) });
  }

  /** `POST /v1/sessions`: process `pid` starts using the license that grants `product` (`feature`). */
  openSession(product: string, pid: number, feature?: string): Promise<VerifiedSession> {
    return this.#ask('runtime-session', '/v1/sessions', 201, {
      product,
      ...(feature === undefined ? {} : { feature }),
      pid,
    });
  }

  /** `DELETE /v1/sessions/{id}`. */
  async closeSession(id: string): Promise<void> {
    const answer = await callRuntime(
      this.#target,
      'DELETE',
      `/v1/sessions/${encodeURIComponent(id)}`,
      undefined,
      this.#timeoutMs,
    );
    expectStatus(this.#target, answer, 204);
  }

  async #ask<T>(
    purpose: RuntimeAnswerPurpose,
    path: string,
    status: number,
    fields: { product: string; feature?: string; pid?: number },
  ): Promise<VerifiedRuntimeAnswer<T>> {
    const nonce = answerNonce(randomBytes(24));
    const feature = fields.feature ?? null;
    const asked = `${fields.product}\0${feature ?? ''}`;
    const container = this.#sessions ? this.#granting.get(asked) : undefined;
    const session = container === undefined ? undefined : this.#byContainer.get(container);
    const headers: Record<string, string> =
      session === undefined
        ? {}
        : { [ANSWER_SESSION_HEADER]: session.confirmed ? session.id : `${session.id}.${session.sealed}` };
    const answer = await callRuntime(
      this.#target,
      'POST',
      path,
      { publicKey: this.#publicKey.text, ...fields, nonce },
      this.#timeoutMs,
      headers,
    );
    expectStatus(this.#target, answer, status);
    const verified = verifyRuntimeAnswer<T>({
      publicKey: this.#publicKey,
      nonce,
      purpose,
      answer: answer.json,
      product: fields.product,
      feature,
      now: this.#now(),
      ...(session === undefined ? {} : { session: { secret: session.mac, license: session.license } }),
    });
    if (verified.key === 'session') {
      (session as ClientSession).confirmed = true;
      return verified;
    }
    if (!this.#sessions) return verified;
    const license = verified.license;
    // Signed: by the session's license, the runtime does not hold the session (a restart): send
    // the sealed secret again; by another license, a session with that one.
    // The runtime also signs once after the container's license changed (a remote upgrade): the
    // session (same container, same keys) then checks against the new license.
    if (session !== undefined && session.license.containerId === license.containerId) {
      session.license = license;
      session.confirmed = false;
    }
    if (!this.#byContainer.has(license.containerId) && license.containerKeys?.box !== undefined) {
      const { id, sealed, secret } = newAnswerSession(license);
      this.#byContainer.set(license.containerId, { id, sealed, mac: answerMacKey(secret), license, confirmed: false });
      secret.fill(0);
    }
    this.#granting.set(asked, license.containerId);
    return verified;
  }
}
