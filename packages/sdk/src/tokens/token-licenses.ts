/**
 * Hardware tokens as seen by `openLicensing`: the licenses stored on tokens ("token containers")
 * and the presence of the tokens that licenses are bound to.
 *
 * - Every refresh (each load of the licensing state) lists the module's tokens and reads the
 *   license data object of each present one (public: no PIN needed, so a PIN is never tried on a
 *   token that carries no Lictor license).
 * - Every token in use (one holding a license, or named by a license file's binding) gets a
 *   `TokenMonitor`: a fresh challenge–response with the key the license names, at once and every
 *   `intervalMs`. A license counts only while its monitor's last proof succeeded; a copy of a
 *   token's memory on another token fails the proof (`LICTOR_E_TOKEN_NOT_GENUINE`).
 * - A monitor reporting a removal or a re-insertion, a token never seen before appearing in
 *   the module's list, or the license in a present token's memory changing (a remote upgrade
 *   applied by another program; both checked every `intervalMs`) calls `onChange`: the owner
 *   reloads and tells its listeners.
 */
import {
  type Decision,
  describeTokenBinding,
  type ErrorCode,
  fromUtf8,
  LictorError,
  type Scheduler,
  systemScheduler,
  type TimerHandle,
  TOKEN_LICENSE_LABEL,
  type TokenBinding,
  type TokenPresenceLookup,
  type VendorPublicKey,
} from '@lictor/protocol';
import type { TokenDescription, TokenMonitor, TokenPresence, TokenSession } from '@lictor/token';
import type { LoadedContainer } from '../containers.js';
import type { UpgradeRecord } from '../upgrade-record.js';
import type { TokenChange } from '../watch.js';
import { openTokenSupport, type TokenSupport } from './load.js';
import { DEFAULT_TOKEN_INTERVAL_MS, type TokenLocation, type TokenOptions, tokenContainerPath } from './options.js';
import { readTokenKeys, readTokenLicense, type TokenLicense } from './read.js';
import { readTokenUpgradeRecord } from './token-storage.js';

type Usable = Decision<Record<never, never>>;

/** A license read from a token's memory, shaped like a loaded license file. */
export interface TokenContainer extends TokenLicense {
  /** `token:<manufacturer>/<serial>`. */
  path: string;
  location: TokenLocation;
  keys: LoadedContainer['keys'];
  /** The pending remote upgrade, kept in the token's memory (read with the keys, after login). */
  pending: UpgradeRecord | undefined;
  /** Whether the token proved, at its last check, that it is the one the license was programmed for. */
  presence(): Usable;
}

/** Something about tokens that `status()` shows although it serves no license. */
export interface TokenProblem {
  path: string;
  code: ErrorCode;
  reason: string;
  onToken?: TokenLocation;
}

/** What a refresh found. */
export interface TokenView {
  containers: TokenContainer[];
  problems: TokenProblem[];
  /** Presence of the tokens that license files on disk are bound to. */
  presence: TokenPresenceLookup;
}

/** A license file on disk bound to a token. */
export interface BoundFile {
  path: string;
  binding: TokenBinding;
}

/** A token in use and its monitor. */
interface Watched {
  monitor: TokenMonitor;
  /** The token the license names (identity and key). */
  expected: Pick<TokenBinding, 'token' | 'publicKey'>;
  /** Licenses that depend on it (as of the last refresh). */
  paths: Set<string>;
}

/**
 * What the owner is told when a token in use came or went (`change`), or when the license in a
 * token's memory changed while it stayed plugged in (`change` undefined).
 */
export type TokenChangeListener = (change: TokenChange | undefined, paths: string[]) => void;

/** The container keys and the pending upgrade of a token container (both private objects). */
interface PrivateState {
  keys: LoadedContainer['keys'];
  pending: UpgradeRecord | undefined;
}

function locationOf(token: TokenDescription): TokenLocation {
  return { manufacturer: token.manufacturer, model: token.model, serial: token.serial, label: token.label };
}

function asLictorError(err: unknown): LictorError {
  return err instanceof LictorError ? err : new LictorError('LICTOR_E_INTERNAL', (err as Error).message);
}

function watchKey(serial: string, publicKey: string): string {
  return `${serial}\u0000${publicKey}`;
}

/** A decision from a monitor's last check, with a reason that names the token and says what to do. */
function decisionOf(w: Watched): Usable {
  const name = describeTokenBinding({ kind: 'token', ...w.expected });
  const status: TokenPresence | undefined = w.monitor.status;
  if (status === undefined) {
    return { ok: false, code: 'LICTOR_E_TOKEN_ABSENT', reason: `the hardware token ${name} was not checked yet` };
  }
  if (status.present) {
    const { manufacturer, model } = w.expected.token;
    if (status.token.manufacturer !== manufacturer || status.token.model !== model) {
      return {
        ok: false,
        code: 'LICTOR_E_TOKEN_NOT_GENUINE',
        reason: `the token with serial ${status.token.serial} is a ${status.token.manufacturer} ${status.token.model}, not the ${manufacturer} ${model} the license was issued for`,
      };
    }
    return { ok: true };
  }
  switch (status.code) {
    case 'LICTOR_E_TOKEN_ABSENT':
      return {
        ok: false,
        code: status.code,
        reason: `the hardware token ${name} is not present; plug it in${status.reason.includes('plug it in') ? '' : ` (${status.reason})`}`,
      };
    case 'LICTOR_E_TOKEN_PIN_REQUIRED':
      return {
        ok: false,
        code: status.code,
        reason: `the hardware token ${name} needs its user PIN to prove its presence: set LICTOR_TOKEN_PIN or give the PIN in the tokens option; with several tokens plugged in, name the token the PIN belongs to (lictor: --token-label or --token-serial, or --token-pin-shared when they all share it; SDK: tokens.pinToken) (${status.reason})`,
      };
    default:
      return { ok: false, code: status.code, reason: `the hardware token ${name}: ${status.reason}` };
  }
}

/** Tokens, their licenses and their presence for one `openLicensing`. */
export class TokenLicenses {
  readonly #support: TokenSupport | LictorError;
  readonly #vendorKey: VendorPublicKey;
  readonly #intervalMs: number;
  readonly #onChange: TokenChangeListener;
  readonly #problemPath: string;
  /** Monitors by token serial and public key. */
  readonly #watched = new Map<string, Watched>();
  /** The last license read from each token (by serial), shown while the token is away. */
  readonly #known = new Map<string, { license: TokenLicense; location: TokenLocation } & PrivateState>();
  /** The license text last announced as changed, per token serial (so that one change is told once). */
  readonly #announced = new Map<string, string | null>();
  /** The label of each token seen plugged in, by serial (a PIN may belong to a token named by its label). */
  readonly #labels = new Map<string, string>();
  /** Serials of present tokens already looked at, so that only new ones start a refresh. */
  readonly #examined = new Set<string>();
  #queue: Promise<unknown> = Promise.resolve();
  #discovery: TimerHandle | undefined;
  readonly #scheduler: Scheduler;
  #closed = false;

  private constructor(
    support: TokenSupport | LictorError,
    vendorKey: VendorPublicKey,
    options: TokenOptions,
    onChange: TokenChangeListener,
  ) {
    this.#support = support;
    this.#vendorKey = vendorKey;
    this.#intervalMs = options.intervalMs ?? DEFAULT_TOKEN_INTERVAL_MS;
    this.#scheduler = options.scheduler ?? systemScheduler;
    this.#onChange = onChange;
    this.#problemPath = `token-module:${options.module ?? 'default'}`;
  }

  /**
   * Opens the token support. Never throws for a missing package, binding, module or PIN file:
   * every refresh then reports "token licenses unavailable" with the reason.
   */
  static async open(
    options: TokenOptions,
    context: { env: NodeJS.ProcessEnv; vendorKey: VendorPublicKey; onChange: TokenChangeListener },
  ): Promise<TokenLicenses> {
    const intervalMs = options.intervalMs ?? DEFAULT_TOKEN_INTERVAL_MS;
    if (!Number.isFinite(intervalMs) || intervalMs < 10) {
      throw new LictorError('LICTOR_E_INVALID_INPUT', 'tokens.intervalMs must be at least 10 ms');
    }
    let support: TokenSupport | LictorError;
    try {
      support = await openTokenSupport(options, context.env);
    } catch (err) {
      support = asLictorError(err);
    }
    const tokens = new TokenLicenses(support, context.vendorKey, options, context.onChange);
    tokens.#startDiscovery();
    return tokens;
  }

  /** The opened module and PIN; throws why token licenses are unavailable here, if they are. */
  support(): TokenSupport {
    if (this.#support instanceof LictorError) throw this.#support;
    return this.#support;
  }

  /**
   * Reads the licenses on the present tokens and makes sure every token in use (those and the
   * ones `files` are bound to) has a monitor. Refreshes run one at a time.
   */
  refresh(files: readonly BoundFile[]): Promise<TokenView> {
    const run = this.#queue.then(() => this.#refresh(files));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #refresh(files: readonly BoundFile[]): Promise<TokenView> {
    const support = this.#closed ? new LictorError('LICTOR_E_INTERNAL', 'the licensing was closed') : this.#support;
    if (support instanceof LictorError) return this.#unavailableView(support);
    const problems: TokenProblem[] = [];
    let present: TokenDescription[] = [];
    try {
      present = (await support.module.listTokens()).filter((t) => t.present && t.initialized && t.serial !== '');
    } catch (err) {
      const e = asLictorError(err);
      problems.push({ path: this.#problemPath, code: e.code, reason: `the tokens cannot be listed: ${e.message}` });
    }
    for (const token of present) this.#labels.set(token.serial, token.label);
    support.notePresent(present);
    for (const token of present) {
      this.#examined.add(token.serial);
      try {
        const license = await this.#readLicense(support, token);
        if (license === null) this.#known.delete(token.serial);
        else
          this.#known.set(token.serial, {
            license,
            location: locationOf(token),
            ...(await this.#readPrivate(support, token, license)),
          });
      } catch (err) {
        const e = asLictorError(err);
        if (e.code === 'LICTOR_E_TOKEN_ABSENT') continue; // Pulled out while reading: what is known stays.
        this.#known.delete(token.serial);
        problems.push({ path: tokenContainerPath(token), code: e.code, reason: e.message, onToken: locationOf(token) });
      }
    }

    for (const w of this.#watched.values()) w.paths.clear();
    const containers: TokenContainer[] = [];
    for (const [serial, { license, location, keys, pending }] of this.#known) {
      const path = tokenContainerPath(location);
      const { binding } = license.doc;
      const watched = this.#monitorOf(serial, binding);
      watched?.paths.add(path);
      const copy: Usable = {
        ok: false,
        code: 'LICTOR_E_TOKEN_NOT_GENUINE',
        reason: `this license was programmed on the token ${describeTokenBinding(binding)}, but it is stored on the token "${location.label}" (serial ${serial}): a copy of a token's memory does not carry the token's key`,
      };
      containers.push({
        ...license,
        path,
        location,
        keys,
        pending,
        presence: () => (watched ? decisionOf(watched) : copy),
      });
    }
    for (const file of files) {
      try {
        (await this.#watch(support, file.binding)).paths.add(file.path);
      } catch (err) {
        const e = asLictorError(err);
        problems.push({ path: file.path, code: e.code, reason: `its hardware token cannot be checked: ${e.message}` });
      }
    }
    await this.#dropUnused();

    const presence: TokenPresenceLookup = (binding) => {
      const watched = this.#watched.get(watchKey(binding.token.serial, binding.publicKey));
      return watched === undefined
        ? {
            ok: false,
            code: 'LICTOR_E_TOKEN_ABSENT',
            reason: `the hardware token ${describeTokenBinding(binding)} was not checked yet`,
          }
        : decisionOf(watched);
    };
    return { containers, problems, presence };
  }

  #unavailableView(error: LictorError): TokenView {
    return {
      containers: [],
      problems: [{ path: this.#problemPath, code: error.code, reason: `token licenses unavailable: ${error.message}` }],
      presence: (binding) => ({
        ok: false,
        code: error.code,
        reason: `bound to the hardware token ${describeTokenBinding(binding)}, and token licenses are unavailable here: ${error.message}`,
      }),
    };
  }

  /** The license on a token, read in a session of its own (the license data object needs no login). */
  async #readLicense(support: TokenSupport, token: TokenDescription): Promise<TokenLicense | null> {
    for (let attempt = 0; ; attempt++) {
      let session: TokenSession | undefined;
      try {
        session = await support.module.openToken({ serial: token.serial });
        return await readTokenLicense(session, this.#vendorKey);
      } catch (err) {
        // A monitor re-initialized the module in between (SoftHSM2 needs that to see plugging): once more.
        if (attempt === 0 && session !== undefined && !session.open) continue;
        throw err;
      } finally {
        await session?.close();
      }
    }
  }

  /**
   * Starts the monitor of a token holding a license (the license must name this very token: a
   * copy on another token gets none) and, once the token proved its key, reads the container
   * keys and the pending upgrade with the monitor's logged-in session.
   */
  async #readPrivate(support: TokenSupport, token: TokenDescription, license: TokenLicense): Promise<PrivateState> {
    const { binding } = license.doc;
    if (binding.token.serial !== token.serial) {
      return {
        keys: { ok: false, code: 'LICTOR_E_TOKEN_NOT_GENUINE', reason: "this is a copy of another token's license" },
        pending: undefined,
      };
    }
    const watched = await this.#watch(support, binding);
    const decision = decisionOf(watched);
    if (!decision.ok) {
      return {
        keys: {
          ok: false,
          code: decision.code,
          reason: 'the container keys are read once the token proves it is the one the license was programmed for',
        },
        pending: undefined,
      };
    }
    try {
      return await watched.monitor.withSession(async (session) => {
        const keys = await readTokenKeys(session, license.doc);
        const pending = keys.ok ? await readTokenUpgradeRecord(session).catch(() => undefined) : undefined;
        return { keys, pending };
      });
    } catch (err) {
      const e = asLictorError(err);
      return {
        keys: { ok: false, code: e.code, reason: `the container keys cannot be read from the token: ${e.message}` },
        pending: undefined,
      };
    }
  }

  /**
   * The licenses whose text in a present token's memory differs from what the last refresh read
   * (one read of the public license object per token holding a license, with its monitor's session).
   */
  async #changedLicenses(): Promise<string[]> {
    const changed: string[] = [];
    for (const [serial, known] of this.#known) {
      const watched = this.#monitorOf(serial, known.license.doc.binding);
      if (watched?.monitor.status?.present !== true) continue;
      const text = await watched.monitor
        .withSession((session) => session.readData(TOKEN_LICENSE_LABEL))
        .then(
          (bytes) => (bytes === null ? null : fromUtf8(bytes)),
          () => undefined,
        );
      if (text === undefined || text === known.license.text || this.#announced.get(serial) === text) continue;
      this.#announced.set(serial, text);
      changed.push(tokenContainerPath(known.location));
    }
    return changed;
  }

  /** The monitor of the token with this serial, if it holds the license `binding` names (a copy on another token has none). */
  #monitorOf(serial: string, binding: TokenBinding): Watched | undefined {
    return binding.token.serial === serial ? this.#watched.get(watchKey(serial, binding.publicKey)) : undefined;
  }

  /** The monitor of the token `binding` names, started (and its first check done) if new. */
  async #watch(support: TokenSupport, binding: TokenBinding): Promise<Watched> {
    const { serial } = binding.token;
    const key = watchKey(serial, binding.publicKey);
    const existing = this.#watched.get(key);
    if (existing !== undefined) return existing;
    const pin = support.pinFor({ serial, label: this.#labels.get(serial) });
    const monitor = new support.pkg.TokenMonitor({
      module: support.module,
      token: { serial },
      publicKey: binding.publicKey,
      ...(pin === undefined ? {} : { pin }),
      intervalMs: this.#intervalMs,
      scheduler: this.#scheduler,
    });
    const watched: Watched = {
      monitor,
      expected: { token: binding.token, publicKey: binding.publicKey },
      paths: new Set(),
    };
    this.#watched.set(key, watched);
    monitor.on('change', (status, previous) => {
      if (previous === undefined || this.#closed) return;
      if (!status.present) this.#examined.delete(serial);
      const decision = decisionOf(watched);
      this.#onChange(
        {
          ...binding.token,
          present: decision.ok,
          ...(decision.ok ? {} : { code: decision.code, reason: decision.reason }),
        },
        [...watched.paths],
      );
    });
    await monitor.start();
    return watched;
  }

  /** Stops the monitors no license depends on any more (a bound license file was deleted). */
  async #dropUnused(): Promise<void> {
    for (const [key, w] of this.#watched) {
      if (w.paths.size > 0) continue;
      this.#watched.delete(key);
      await w.monitor.stop();
    }
  }

  /** Every interval, looks for tokens plugged in that no monitor watches yet. */
  #startDiscovery(): void {
    const support = this.#support;
    if (support instanceof LictorError) return;
    const look = async () => {
      const listed = await support.module.listTokens().catch(() => [] as TokenDescription[]);
      const present = new Set(listed.filter((t) => t.present && t.initialized && t.serial !== '').map((t) => t.serial));
      for (const serial of this.#examined) if (!present.has(serial)) this.#examined.delete(serial);
      const watchedSerials = new Set([...this.#watched.values()].map((w) => w.expected.token.serial));
      const fresh = listed.find(
        (t) => present.has(t.serial) && !this.#examined.has(t.serial) && !watchedSerials.has(t.serial),
      );
      if (fresh !== undefined && !this.#closed) {
        this.#examined.add(fresh.serial);
        const { manufacturer, model, serial } = fresh;
        this.#onChange({ manufacturer, model, serial, present: true }, [tokenContainerPath(fresh)]);
      }
      // In the refreshes' queue, so that it compares with what a running refresh reads.
      const compared = this.#queue.then(() => this.#changedLicenses());
      this.#queue = compared.catch(() => undefined);
      const rewritten = await compared.catch(() => [] as string[]);
      if (rewritten.length > 0 && !this.#closed) this.#onChange(undefined, rewritten);
    };
    const tick = () => {
      this.#discovery = this.#scheduler.setTimeout(() => {
        void look().finally(() => {
          if (!this.#closed) tick();
        });
      }, this.#intervalMs);
    };
    tick();
  }

  /** Stops the monitors and the discovery, and releases the module. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#scheduler.clearTimeout(this.#discovery);
    await this.#queue;
    await Promise.all([...this.#watched.values()].map((w) => w.monitor.stop()));
    if (!(this.#support instanceof LictorError)) await this.#support.module.close();
  }
}
