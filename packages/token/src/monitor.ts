/**
 * Hot plug: a {@link TokenMonitor} proves a token's presence every few seconds (a fresh
 * challenge–response each time, see `presence.ts`) and reports when it is pulled out or put
 * back, with the reason, without a restart.
 *
 * How removal shows, per module (see docs/dongles.md, "How presence and hot plug work"):
 * hardware modules fail the session with `CKR_DEVICE_REMOVED`, `CKR_TOKEN_NOT_PRESENT` or
 * `CKR_SESSION_HANDLE_INVALID` and drop the token from `C_GetSlotList(true)`; SoftHSM2 fails
 * with `CKR_OBJECT_HANDLE_INVALID`/`CKR_GENERAL_ERROR` and sees tokens come and go only after
 * `C_Finalize` + `C_Initialize`. So when its token cannot be found, the monitor re-initializes
 * the module (unless another monitor of the module did so since it looked) and looks again;
 * sessions it thereby ends are reopened by their owners on next use.
 */
import { EventEmitter } from 'node:events';
import {
  type ErrorCode,
  LictorError,
  parseTokenPublicKey,
  type Scheduler,
  systemScheduler,
  type TimerHandle,
  type TokenPublicKey,
} from '@lictor/protocol';
import type { TokenModule } from './module.js';
import type { TokenPin } from './pin.js';
import { proveTokenPresence } from './presence.js';
import type { TokenSession } from './session.js';
import type { TokenDescription, TokenSelector } from './token-info.js';

/** Default time between two presence checks. */
export const DEFAULT_PRESENCE_INTERVAL_MS = 3000;

/** What a presence check found. */
export type TokenPresence =
  | { present: true; token: TokenDescription; checkedAt: Date }
  | { present: false; code: ErrorCode; reason: string; checkedAt: Date };

/** The token is present (proved by its key). */
export type TokenPresent = Extract<TokenPresence, { present: true }>;
/** The token is not usable, and why. */
export type TokenMissing = Extract<TokenPresence, { present: false }>;

/** Events of a {@link TokenMonitor}. */
export interface TokenMonitorEvents {
  /** Presence or the reason for absence changed (the first check reports with `previous` undefined). */
  change: [status: TokenPresence, previous: TokenPresence | undefined];
  /** The token was present and no longer is. */
  removed: [status: TokenMissing];
  /** The token was missing and is present again. */
  inserted: [status: TokenPresent];
}

/** How a {@link TokenMonitor} finds and proves its token. */
export interface TokenMonitorOptions {
  module: TokenModule;
  /** Which token (the serial number is the stable choice). */
  token: TokenSelector;
  /** The public key registered for the token (object or text/PEM). */
  publicKey: TokenPublicKey | string;
  /** The user PIN, needed when the token's key is private (Lictor generates it so). */
  pin?: TokenPin | string;
  /** Time between checks (default {@link DEFAULT_PRESENCE_INTERVAL_MS}). */
  intervalMs?: number;
  /** Re-initialize the module when the token is not found (default true; see the file comment). */
  reinitialize?: boolean;
  /** The clock and timer of the checks (default `systemScheduler`). */
  scheduler?: Scheduler;
}

const ABSENCE: ReadonlySet<ErrorCode> = new Set(['LICTOR_E_TOKEN_ABSENT', 'LICTOR_E_TOKEN_FAILED']);
const PIN_REFUSED: ReadonlySet<ErrorCode> = new Set(['LICTOR_E_TOKEN_PIN_INVALID', 'LICTOR_E_TOKEN_PIN_LOCKED']);

function asLictorError(err: unknown): LictorError {
  return err instanceof LictorError ? err : new LictorError('LICTOR_E_INTERNAL', (err as Error).message);
}

/**
 * Polls a token's presence by challenge–response. Holds one session on the token while it is
 * present; takes no license seat. A refused PIN is not tried again (tokens lock the PIN after a
 * few wrong tries) until {@link TokenMonitor.setPin} gives another.
 */
export class TokenMonitor extends EventEmitter<TokenMonitorEvents> {
  /** Time between checks in milliseconds. */
  readonly intervalMs: number;
  readonly #options: TokenMonitorOptions;
  readonly #key: TokenPublicKey;
  #pin: TokenPin | string | undefined;
  #pinRefusal: LictorError | undefined;
  #session: TokenSession | undefined;
  #status: TokenPresence | undefined;
  #pending: Promise<TokenPresence> | undefined;
  #timer: TimerHandle | undefined;
  #running = false;
  readonly #scheduler: Scheduler;
  /** Re-initializations of the module this monitor made, to tell them from other monitors'. */
  #ownReinitializations = 0;

  constructor(options: TokenMonitorOptions) {
    super();
    const intervalMs = options.intervalMs ?? DEFAULT_PRESENCE_INTERVAL_MS;
    if (!Number.isFinite(intervalMs) || intervalMs < 10) {
      throw new LictorError('LICTOR_E_INVALID_INPUT', 'the presence check interval must be at least 10 ms');
    }
    this.intervalMs = intervalMs;
    this.#options = options;
    this.#key = typeof options.publicKey === 'string' ? parseTokenPublicKey(options.publicKey) : options.publicKey;
    this.#pin = options.pin;
    this.#scheduler = options.scheduler ?? systemScheduler;
  }

  /** The last check's result; `undefined` before the first check. */
  get status(): TokenPresence | undefined {
    return this.#status;
  }

  /** Checks now, then every interval until {@link stop}. Resolves with the first check's result. */
  start(): Promise<TokenPresence> {
    if (!this.#running) {
      this.#running = true;
      const first = this.check();
      void first.finally(() => this.#schedule());
      return first;
    }
    return this.check();
  }

  /** Stops polling and closes the monitor's session. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#scheduler.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#pending?.catch(() => undefined);
    await this.#dropSession();
  }

  /** Replaces the PIN (after a refusal, the monitor tries again with this one). */
  setPin(pin: TokenPin | string): void {
    this.#pin = pin;
    this.#pinRefusal = undefined;
  }

  /** Runs one presence check now (joining one already running) and reports changes. */
  check(): Promise<TokenPresence> {
    this.#pending ??= this.#checkOnce().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  /**
   * Runs `fn` with the monitor's session on the token (opened and logged in as needed), e.g. to
   * read its data objects or answer a challenge from a client over the network.
   */
  async withSession<T>(fn: (session: TokenSession) => Promise<T>): Promise<T> {
    return fn(await this.#ensureSession());
  }

  #schedule(): void {
    if (!this.#running) return;
    this.#timer = this.#scheduler.setTimeout(() => {
      void this.check().finally(() => this.#schedule());
    }, this.intervalMs);
  }

  async #checkOnce(): Promise<TokenPresence> {
    let status: TokenPresence;
    try {
      const proof = await this.#prove();
      status = { present: true, token: proof.token, checkedAt: new Date(this.#scheduler.now()) };
    } catch (err) {
      const e = asLictorError(err);
      status = { present: false, code: e.code, reason: e.message, checkedAt: new Date(this.#scheduler.now()) };
    }
    this.#report(status);
    return status;
  }

  async #prove() {
    const { module } = this.#options;
    for (let attempt = 1; ; attempt++) {
      const hadSession = this.#session?.open === true;
      const generation = module.generation;
      const own = this.#ownReinitializations;
      try {
        return await proveTokenPresence(await this.#ensureSession(), this.#key);
      } catch (err) {
        // The session ended (token pulled out, or the module re-initialized by another monitor):
        // look again. Another monitor of the module re-initializing it during this look (two
        // monitors checking at the same moment) is no absence either: look once more.
        const byOthers = module.generation - generation > this.#ownReinitializations - own;
        const again = (hadSession && attempt === 1) || byOthers;
        if (attempt >= 3 || !again || !ABSENCE.has(asLictorError(err).code)) throw err;
        await this.#dropSession();
      }
    }
  }

  async #ensureSession(): Promise<TokenSession> {
    if (this.#pinRefusal !== undefined) throw this.#pinRefusal;
    if (this.#session?.open === true) return this.#session;
    await this.#dropSession();
    const { module, token } = this.#options;
    const generation = module.generation;
    let session: TokenSession;
    try {
      session = await module.openToken(token);
    } catch (err) {
      if (this.#options.reinitialize === false || !ABSENCE.has(asLictorError(err).code)) throw err;
      if (await module.reinitialize({ ifGeneration: generation })) this.#ownReinitializations++;
      session = await module.openToken(token);
    }
    if (this.#pin !== undefined) {
      try {
        await session.login(this.#pin);
      } catch (err) {
        await session.close();
        if (PIN_REFUSED.has(asLictorError(err).code)) this.#pinRefusal = asLictorError(err);
        throw err;
      }
    }
    this.#session = session;
    return session;
  }

  async #dropSession(): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    await session?.close();
  }

  #report(status: TokenPresence): void {
    const previous = this.#status;
    this.#status = status;
    const changed =
      previous === undefined ||
      previous.present !== status.present ||
      (!previous.present && !status.present && previous.code !== status.code);
    if (!changed) return;
    this.emit('change', status, previous);
    if (previous?.present === true && !status.present) this.emit('removed', status);
    if (previous !== undefined && !previous.present && status.present) this.emit('inserted', status);
  }
}
