/**
 * A session on one token: login, the signing key, the data objects. Every operation runs in the
 * module's queue and turns PKCS#11 failures into typed errors; once the module is
 * re-initialized (a token plugged in or pulled out) or the token is removed, operations throw
 * `LICTOR_E_TOKEN_ABSENT` and the session must be opened again.
 */
import { LictorError, type TokenPublicKey } from '@lictor/protocol';
import {
  deleteData,
  listData,
  readData,
  type TokenDataInfo,
  type WriteDataOptions,
  writeData,
} from './data-objects.js';
import { CKS_RO_USER_FUNCTIONS, CKS_RW_USER_FUNCTIONS } from './flags.js';
import { generateKey, listKeys, signWithKey, type TokenKey } from './keys.js';
import { enqueue, type LoadedLibrary } from './library.js';
import { TokenPin } from './pin.js';
import type { SessionContext } from './session-context.js';
import { ckrName, type TokenErrorContext, toTokenError } from './token-errors.js';
import { describeToken, type TokenDescription } from './token-info.js';

/** Whether the user is logged in on the session's token (in this process). */
function isLoggedIn({ pkcs11, session }: SessionContext): boolean {
  const { state } = pkcs11.C_GetSessionInfo(session);
  return state === CKS_RO_USER_FUNCTIONS || state === CKS_RW_USER_FUNCTIONS;
}

/** An open session on a token. Obtain one from `TokenModule.openToken`. */
export class TokenSession {
  /** The token as it was when the session was opened. */
  readonly token: TokenDescription;
  readonly #lib: LoadedLibrary;
  readonly #ctx: SessionContext;
  readonly #generation: number;
  #closed = false;

  /** @internal */
  constructor(lib: LoadedLibrary, token: TokenDescription, handle: Buffer, generation: number) {
    this.token = token;
    this.#lib = lib;
    this.#generation = generation;
    this.#ctx = {
      pkcs11: lib.pkcs11,
      binding: lib.binding,
      session: handle,
      token,
      describe: describeToken(token),
      keyHandles: new Map(),
    };
  }

  /** Whether the session can still be used (not closed, module not re-initialized since it opened). */
  get open(): boolean {
    return !this.#closed && this.#generation === this.#lib.generation;
  }

  /**
   * Runs `fn` in the module's queue on this session. Its result is confirmed by asking the token
   * afterwards (see {@link #confirmPresent}) unless `resultProvesPresence`: a signature that
   * verified under the token's non-extractable key can only have come from the token.
   */
  #run<T>(doing: string, fn: (ctx: SessionContext) => T | Promise<T>, resultProvesPresence = false): Promise<T> {
    return enqueue(this.#lib, async () => {
      if (this.#closed) throw new LictorError('LICTOR_E_INTERNAL', 'this token session was closed');
      if (this.#generation !== this.#lib.generation) {
        throw new LictorError(
          'LICTOR_E_TOKEN_ABSENT',
          `the session on the token ${this.#ctx.describe} ended when its module was re-initialized (a token was plugged in or pulled out); open the token again`,
        );
      }
      const context = { doing, token: this.#ctx.describe, wasPresent: true };
      let result: T;
      try {
        result = await fn(this.#ctx);
      } catch (err) {
        if (err instanceof LictorError) this.#confirmPresent(context);
        throw toTokenError(err, context);
      }
      if (!resultProvesPresence) this.#confirmPresent(context);
      return result;
    });
  }

  /**
   * A token pulled out in the middle of an operation can make it answer "nothing found" instead
   * of failing (SoftHSM2 finds no objects once the token's directory is gone): a result, or a
   * refusal such as "no such key", counts only if the token still answers afterwards.
   */
  #confirmPresent(context: TokenErrorContext): void {
    const { pkcs11, session } = this.#ctx;
    try {
      pkcs11.C_GetTokenInfo(pkcs11.C_GetSessionInfo(session).slotID);
    } catch (err) {
      throw toTokenError(err, context);
    }
  }

  /**
   * Logs the user in with the PIN (a {@link TokenPin}, or a string). Being logged in already
   * (by this or another session of this process on the token) is fine. Throws
   * `LICTOR_E_TOKEN_PIN_INVALID` or `LICTOR_E_TOKEN_PIN_LOCKED`.
   */
  login(pin: TokenPin | string): Promise<void> {
    return this.#run('logging in', ({ pkcs11, binding, session }) => {
      try {
        pkcs11.C_Login(session, binding.CKU_USER, pin instanceof TokenPin ? pin.reveal() : pin);
      } catch (err) {
        if (ckrName(err) !== 'CKR_USER_ALREADY_LOGGED_IN') throw err;
      }
    });
  }

  /** Whether the user is logged in on the token (in this process). */
  loggedIn(): Promise<boolean> {
    return this.#run('reading the session state', isLoggedIn);
  }

  /** Refuses `what` before login on a token that needs one (inside {@link #run}, with the operation). */
  #requireLogin(ctx: SessionContext, what: string): void {
    if (this.token.loginRequired && !isLoggedIn(ctx)) {
      throw new LictorError(
        'LICTOR_E_TOKEN_PIN_REQUIRED',
        `${what} on the token ${this.#ctx.describe} needs the user to log in with the token's PIN first`,
      );
    }
  }

  /**
   * Generates an ECDSA P-256 key pair on the token (private half sensitive, not extractable,
   * private) labelled `label`, and returns it with its public key. Needs login.
   */
  generateKey(label: string): Promise<TokenKey> {
    return this.#run('generating a key', (ctx) => {
      this.#requireLogin(ctx, 'generating a key');
      return generateKey(ctx, label);
    });
  }

  /** The P-256 key pairs on the token. */
  listKeys(): Promise<TokenKey[]> {
    return this.#run('listing keys', listKeys);
  }

  /**
   * Signs `message` with the token's key for `publicKey` (ECDSA P-256 / SHA-256, raw `r ‖ s`),
   * verified before it is returned. Throws `LICTOR_E_TOKEN_NOT_GENUINE` when the token has no key
   * that `publicKey` verifies. Needs login.
   */
  sign(publicKey: TokenPublicKey, message: Uint8Array): Promise<Uint8Array> {
    return this.#run(
      'signing',
      (ctx) => {
        this.#requireLogin(ctx, 'signing');
        return signWithKey(ctx, publicKey, message);
      },
      true,
    );
  }

  /** Writes the data object `name` (crash-safe replace; see `data-objects.ts`). Returns its generation. */
  writeData(name: string, payload: Uint8Array, options?: WriteDataOptions): Promise<number> {
    return this.#run(`writing the data object '${name}'`, (ctx) => writeData(ctx, name, payload, options));
  }

  /** Reads the data object `name`; `null` when the token has none. */
  readData(name: string): Promise<Uint8Array | null> {
    return this.#run(`reading the data object '${name}'`, (ctx) => readData(ctx, name));
  }

  /** Destroys the data object `name`; returns how many copies there were. */
  deleteData(name: string): Promise<number> {
    return this.#run(`deleting the data object '${name}'`, (ctx) => deleteData(ctx, name));
  }

  /** Lists Lictor's data objects on the token. */
  listData(): Promise<TokenDataInfo[]> {
    return this.#run('listing data objects', listData);
  }

  /** Closes the session (a no-op after the module was re-initialized, which closed it already). */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return enqueue(this.#lib, () => {
      if (this.#generation !== this.#lib.generation) return;
      try {
        this.#lib.pkcs11.C_CloseSession(this.#ctx.session);
      } catch {
        // The token may be gone; its session went with it.
      }
    });
  }
}
