/**
 * The License Manager's side of a network dongle: the hardware tokens plugged into the manager's
 * host answer clients' presence challenges and sign activation claims, so that a software
 * license bound to a token works on any computer that reaches the manager (a virtual machine
 * that migrates keeps its license as long as the manager's dongle answers).
 *
 * - `list()`: the tokens served (those the manager may log in to, or that need no login), with
 *   their Lictor key (label `lictor`, generated on the token) when they have one. Nothing secret.
 * - `prove(key, challenge)`: the token holding `key` signs `tokenPresenceMessage(challenge)`. The
 *   challenge is the client's, fresh for each proof, and the client verifies the signature with
 *   the key in its vendor-signed license: this server cannot make a proof for a token it does not
 *   hold. Taking no seat: presence is not a lease.
 * - `claim(serial, token)`: the token signs a `TokenActivationClaim` for the package `serial`
 *   (generating its Lictor key on the token if it has none), as `lictor activate --bind-token`
 *   does on a computer with the token plugged in. The PIN code of the package is what the center
 *   checks; the claim only proves which token the license is bound to.
 *
 * Sessions stay open and logged in between requests. A token pulled out makes them fail; the
 * server then looks again, re-initializing the module at most once per {@link REINIT_GAP_MS}
 * (SoftHSM2 and modules that enumerate readers only at `C_Initialize` need that to see a token
 * put back). A proof that finds no token always gets a look at the module as re-initialized after
 * the proof was asked for: one made meanwhile for an earlier request, or its own, waiting out the
 * rest of the gap (at most {@link REINIT_GAP_MS}). So a token put back is found by the first proof
 * asked for after it, however soon after the last, and a flood of proofs for an absent key still
 * re-initializes the module at most once per gap.
 */
import {
  type ErrorCode,
  LictorError,
  parseTokenPublicKey,
  TOKEN_KEY_LABEL,
  type TokenActivation,
  type TokenIdentity,
  tokenPresenceMessage,
} from '@lictor/protocol';
import type { TokenDescription, TokenSession } from '@lictor/token';
import { signTokenClaim } from './activation.js';
import { openTokenSupport, type TokenSupport } from './load.js';
import type { TokenOptions } from './options.js';

/** Least time between two module re-initializations made by one dongle server. */
export const REINIT_GAP_MS = 200;

/** A token plugged into the manager's host, as clients see it. */
export interface ServedDongle extends TokenIdentity {
  label: string;
  /** Its Lictor key, `lictor-p256:…`, when it has one. */
  publicKey?: string;
  fingerprint?: string;
}

/** What the License Manager's dongle routes need. */
export interface DongleServer {
  list(): Promise<ServedDongle[]>;
  /** The signature of the token holding `publicKey` over the presence message of `challenge`. */
  prove(publicKey: string, challenge: Uint8Array): Promise<{ signature: Uint8Array; token: TokenIdentity }>;
  /** A claim for `serial` signed by the token `tokenSerial` (or the only token served). */
  claim(serial: string, tokenSerial?: string): Promise<{ activation: TokenActivation; keyGenerated: boolean }>;
  close(): Promise<void>;
}

const ABSENCE: ReadonlySet<ErrorCode> = new Set(['LICTOR_E_TOKEN_ABSENT', 'LICTOR_E_TOKEN_FAILED']);

function codeOf(err: unknown): ErrorCode | undefined {
  return err instanceof LictorError ? err.code : undefined;
}

/**
 * Opens the PKCS#11 module of `options` (the manager's `tokens` option) for serving dongles.
 * Throws the typed error of `openTokenSupport` when the package, module or PIN file is missing.
 */
export async function openDongleServer(
  options: TokenOptions,
  env: NodeJS.ProcessEnv = process.env,
  now: () => number = Date.now,
): Promise<DongleServer> {
  return new Dongles(await openTokenSupport(options, env), now);
}

class Dongles implements DongleServer {
  readonly #support: TokenSupport;
  readonly #now: () => number;
  /** Open, logged-in sessions by token serial. */
  readonly #sessions = new Map<string, TokenSession>();
  /** Which token (serial) last proved each key. */
  readonly #holders = new Map<string, string>();
  #lastReinit = Number.NEGATIVE_INFINITY;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(support: TokenSupport, now: () => number) {
    this.#support = support;
    this.#now = now;
  }

  /** One operation at a time: sessions are shared and a re-initialization ends them all. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** The tokens present and served: initialized, and either needing no login or with the PIN. */
  async #tokens(): Promise<TokenDescription[]> {
    const list = async () => {
      const present = (await this.#support.module.listTokens()).filter((t) => t.present && t.initialized);
      this.#support.notePresent(present);
      return present.filter((t) => !t.loginRequired || this.#support.pinFor(t) !== undefined);
    };
    try {
      return await list();
    } catch (err) {
      // SoftHSM2 fails the whole slot list while one of its tokens is away: look again, fresh.
      if (!ABSENCE.has(codeOf(err) as ErrorCode) || !(await this.#reinitialize())) throw err;
      return list();
    }
  }

  /** Re-initializes the module unless this server did so within the last {@link REINIT_GAP_MS}. */
  async #reinitialize(): Promise<boolean> {
    if (this.#now() - this.#lastReinit < REINIT_GAP_MS) return false;
    return this.#reinitializeNow();
  }

  /** Re-initializes the module now (its sessions end), noting the time for {@link REINIT_GAP_MS}. */
  async #reinitializeNow(): Promise<boolean> {
    this.#lastReinit = this.#now();
    await this.#dropSessions();
    return this.#support.module.reinitialize();
  }

  /**
   * Whether to look again for a proof asked at module generation `asked` that found no token: not
   * when the module was re-initialized since (the look just made was fresh); yes when it is
   * re-initialized while this waits out the rest of {@link REINIT_GAP_MS} since the last one, or
   * by this call once the gap is over.
   */
  async #reinitializedSince(asked: number): Promise<boolean> {
    if (this.#support.module.generation !== asked) return false;
    const wait = Math.min(REINIT_GAP_MS, this.#lastReinit + REINIT_GAP_MS - this.#now());
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    if (this.#support.module.generation !== asked) return true;
    return this.#reinitializeNow();
  }

  async #dropSessions(): Promise<void> {
    const sessions = [...this.#sessions.values()];
    this.#sessions.clear();
    for (const s of sessions) await s.close().catch(() => undefined);
  }

  async #session(token: TokenDescription): Promise<TokenSession> {
    const open = this.#sessions.get(token.serial);
    if (open?.open === true) return open;
    const session = await this.#support.module.openToken({ serial: token.serial });
    try {
      const pin = this.#support.pinFor(session.token);
      if (session.token.loginRequired && pin !== undefined) await session.login(pin);
    } catch (err) {
      await session.close();
      throw err;
    }
    this.#sessions.set(token.serial, session);
    return session;
  }

  /** Runs `fn` on the token's session; once more on a fresh session when the old one ended. */
  async #withSession<T>(token: TokenDescription, fn: (s: TokenSession) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const session = await this.#session(token);
      try {
        return await fn(session);
      } catch (err) {
        if (attempt >= 2 || !ABSENCE.has(codeOf(err) as ErrorCode)) throw err;
        this.#sessions.delete(token.serial);
        await session.close().catch(() => undefined);
      }
    }
  }

  list(): Promise<ServedDongle[]> {
    return this.#serial(async () => {
      const served: ServedDongle[] = [];
      for (const token of await this.#tokens()) {
        const { manufacturer, model, serial, label } = token;
        const entry: ServedDongle = { manufacturer, model, serial, label };
        try {
          const keys = await this.#withSession(token, (s) => s.listKeys());
          const key = keys.find((k) => k.label === TOKEN_KEY_LABEL && k.hasPrivateKey && k.generatedOnToken);
          if (key !== undefined) {
            entry.publicKey = key.publicKey.text;
            entry.fingerprint = key.publicKey.fingerprint;
          }
        } catch (err) {
          if (!(err instanceof LictorError)) throw err;
          // Listed without a key: it went away or refused meanwhile; a proof will say why.
        }
        served.push(entry);
      }
      return served;
    });
  }

  prove(publicKey: string, challenge: Uint8Array): Promise<{ signature: Uint8Array; token: TokenIdentity }> {
    const key = parseTokenPublicKey(publicKey);
    const message = tokenPresenceMessage(challenge);
    const asked = this.#support.module.generation;
    return this.#serial(async () => {
      for (let look = 1; look <= 2; look++) {
        // A module that cannot list its tokens now (one pulled out) holds none that can answer.
        const tokens = await this.#tokens().catch((err: unknown) => {
          if (ABSENCE.has(codeOf(err) as ErrorCode)) return [];
          throw err;
        });
        // The token that proved this key last is asked first; the others only when it does not answer.
        const holder = this.#holders.get(key.text);
        tokens.sort((a, b) => Number(b.serial === holder) - Number(a.serial === holder));
        for (const token of tokens) {
          try {
            const signature = await this.#withSession(token, (s) => s.sign(key, message));
            this.#holders.set(key.text, token.serial);
            const { manufacturer, model, serial } = token;
            return { signature, token: { manufacturer, model, serial } };
          } catch (err) {
            if (!(err instanceof LictorError)) throw err;
            // Not this token (another key, gone meanwhile, PIN refused): the next one.
          }
        }
        // Not found: a token put back may be invisible until the module is re-initialized.
        if (look === 1 && !(await this.#reinitializedSince(asked))) break;
      }
      throw new LictorError(
        'LICTOR_E_TOKEN_ABSENT',
        `no hardware token holding the key ${key.fingerprint} is plugged into this License Manager (or the manager has no PIN for it); plug it in`,
        { fingerprint: key.fingerprint },
      );
    });
  }

  async claim(serial: string, tokenSerial?: string): Promise<{ activation: TokenActivation; keyGenerated: boolean }> {
    const token = await this.#serial(async () => {
      const tokens = await this.#tokens();
      const matching = tokenSerial === undefined ? tokens : tokens.filter((t) => t.serial === tokenSerial);
      const [first, other] = matching;
      if (first === undefined) {
        throw new LictorError(
          'LICTOR_E_TOKEN_ABSENT',
          tokenSerial === undefined
            ? 'no hardware token is served by this License Manager (plugged in, with its PIN given to the manager)'
            : `no hardware token with serial ${tokenSerial} is served by this License Manager (plugged in, with its PIN given to the manager)`,
        );
      }
      if (other !== undefined) {
        throw new LictorError(
          'LICTOR_E_TOKEN_AMBIGUOUS',
          `this License Manager serves several hardware tokens (${matching.map((t) => t.serial).join(', ')}): name one by its serial number`,
        );
      }
      return first;
    });
    return this.#serial(() => signTokenClaim(this.#support, { serial: token.serial }, serial, new Date(this.#now())));
  }

  close(): Promise<void> {
    return this.#serial(async () => {
      await this.#dropSessions();
      await this.#support.module.close();
    });
  }
}
