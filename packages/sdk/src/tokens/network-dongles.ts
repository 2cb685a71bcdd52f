/**
 * Licenses bound to a hardware token on the network: the token (dongle) is plugged into a License
 * Manager's host, and the license file lives on this computer. It works on whatever computer
 * reaches the manager, which is what a virtual machine that migrates between hosts needs.
 *
 * The license is an ordinary token-bound license (vendor-signed binding `{ kind: 'token', token,
 * publicKey }`). What makes it a network one is a marker in the directory it lives in
 * (`network-dongles.json`: activation id → key, token, manager), written by the activation. The
 * marker is not signed and needs no signature: it only says where to ask for the proof, and a
 * proof counts only if it verifies with the key in the signed license.
 *
 * Presence: a fresh 32-byte challenge sent to the manager (`POST /v1/tokens/presence`), signed by
 * the dongle, verified here with `verifyTokenPresence` — at open and every `intervalMs` on the
 * injected scheduler. No seat is taken. A manager that cannot be reached
 * (`LICTOR_E_MANAGER_UNREACHABLE`), a dongle it does not have (`LICTOR_E_TOKEN_ABSENT`) or a
 * signature that does not verify (`LICTOR_E_TOKEN_NOT_GENUINE`) makes the license unavailable
 * until a later proof succeeds; both changes fire the licensing's `change` event.
 */
import { join } from 'node:path';
import { readTextIfExists, writeFileAtomic } from '@lictor/node-io';
import {
  createTokenChallenge,
  type Decision,
  describeTokenBinding,
  type ErrorCode,
  fromBase64Url,
  isErrorCode,
  type LicenseDocument,
  LictorError,
  parseTokenPublicKey,
  type Scheduler,
  systemScheduler,
  type TimerHandle,
  type TokenActivation,
  type TokenBinding,
  type TokenIdentity,
  type TokenPresenceLookup,
  type TokenPublicKey,
  toBase64Url,
  verifyTokenPresence,
} from '@lictor/protocol';
import { defaultHttpTransport, type HttpAnswer, jsonOf } from '../http-transport.js';
import { type LocateOptions, locateManagers, normalizeManagerAddress } from '../manager/locate.js';

/** The marker file, in the directory of the license files it names. */
export const NETWORK_DONGLES_FILE = 'network-dongles.json';

/** Default time between two presence proofs of a network dongle, in ms. */
export const DEFAULT_NETWORK_DONGLE_INTERVAL_MS = 20_000;
const DEFAULT_TIMEOUT_MS = 5000;
/**
 * How long, in all, a proof waits for a manager that answers `LICTOR_E_RATE_LIMITED` before
 * taking it for the answer. A manager serves at most a few token signatures a second per client
 * address (`dongle-routes.ts`): when many applications start at once behind one address (the
 * logons of a terminal server in the morning), most are told to come back in a second. They do,
 * each after the manager's `Retry-After` and a random share of it again (so that they do not all
 * come back together), instead of refusing a license whose dongle is plugged in.
 */
export const RATE_LIMIT_PATIENCE_MS = 30_000;

/**
 * `openLicensing`'s `networkTokens` option: where the License Managers serving dongles are, and
 * how often their dongles prove their presence. Managers are looked for as `connectManager` does
 * (the `managers` option, `lictor.ini`, `LICTOR_MANAGER`, then `discover` when given), after the
 * manager the license was activated through.
 */
export interface NetworkDongleOptions extends Pick<LocateOptions, 'managers' | 'appDir' | 'configPaths' | 'discover'> {
  /** Time between two presence proofs (default 20 s, the documents' pace; at least 10 ms). */
  intervalMs?: number;
  /** Give up on one manager's answer after this many ms (default 5000). */
  timeoutMs?: number;
  /** The clock and timers of the proofs (default `systemScheduler`). */
  scheduler?: Scheduler;
}

/** What the activation records about a license bound to a network dongle. */
export interface NetworkDongleMarker {
  publicKey: string;
  token: TokenIdentity;
  /** The manager the license was activated through (asked first). */
  manager: string;
}

interface MarkerFile {
  version: 1;
  licenses: Record<string, NetworkDongleMarker>;
}

async function readMarkers(dir: string): Promise<Record<string, NetworkDongleMarker>> {
  const text = await readTextIfExists(join(dir, NETWORK_DONGLES_FILE)).catch(() => undefined);
  if (text === undefined) return {};
  try {
    const parsed = JSON.parse(text) as Partial<MarkerFile>;
    return parsed.version === 1 && typeof parsed.licenses === 'object' && parsed.licenses !== null
      ? parsed.licenses
      : {};
  } catch {
    return {};
  }
}

/** Records that the license of `activationId` in `dir` proves its dongle's presence through `marker.manager`. */
export async function recordNetworkDongle(
  dir: string,
  activationId: string,
  marker: NetworkDongleMarker,
): Promise<void> {
  const licenses = await readMarkers(dir);
  licenses[activationId] = marker;
  const file: MarkerFile = { version: 1, licenses };
  await writeFileAtomic(join(dir, NETWORK_DONGLES_FILE), `${JSON.stringify(file, null, 2)}\n`);
}

/** One call to a manager's dongle route; typed errors as the manager sent them. */
async function callManager(manager: string, path: string, body: unknown, timeoutMs: number): Promise<unknown> {
  const url = new URL(path, manager);
  let response: HttpAnswer;
  try {
    response = await defaultHttpTransport.request(url, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      timeoutMs,
    });
  } catch (err) {
    const name = (err as Error).name;
    throw new LictorError(
      'LICTOR_E_MANAGER_UNREACHABLE',
      name === 'TimeoutError' || name === 'AbortError'
        ? `the License Manager at ${url.origin} did not answer within ${timeoutMs} ms`
        : `cannot reach the License Manager at ${url.origin}: ${(err as Error).message}`,
      { manager: url.origin },
    );
  }
  const json = jsonOf(response) as { code?: unknown; message?: unknown } | null;
  if (response.status >= 200 && response.status < 300 && json !== null) return json;
  if (json !== null && isErrorCode(json.code) && typeof json.message === 'string') {
    const retryAfter = Number(response.header('retry-after'));
    throw new LictorError(json.code, json.message, {
      manager: url.origin,
      ...(Number.isFinite(retryAfter) && retryAfter >= 0 ? { retryAfterSeconds: retryAfter } : {}),
    });
  }
  throw new LictorError(
    'LICTOR_E_MANAGER_UNREACHABLE',
    `the server at ${url.origin} answered ${path} with HTTP ${response.status}, not as a License Manager`,
    { manager: url.origin },
  );
}

function text(value: unknown, max = 512): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= max;
}

function identityOf(value: unknown): TokenIdentity | undefined {
  const t = value as Partial<TokenIdentity> | null;
  if (t === null || typeof t !== 'object') return undefined;
  if (typeof t.manufacturer !== 'string' || typeof t.model !== 'string' || typeof t.serial !== 'string')
    return undefined;
  return { manufacturer: t.manufacturer, model: t.model, serial: t.serial };
}

function offProtocol(manager: string, route: string): LictorError {
  return new LictorError(
    'LICTOR_E_MANAGER_UNREACHABLE',
    `the answer to ${route} does not follow the License Manager protocol at ${manager}`,
    { manager },
  );
}

/** A dongle served by a manager (`GET /v1/tokens`). */
export interface ManagerDongleInfo extends TokenIdentity {
  label: string;
  publicKey?: string;
  fingerprint?: string;
}

/** The dongles a License Manager serves. */
export async function listManagerDongles(
  manager: string,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<ManagerDongleInfo[]> {
  const base = normalizeManagerAddress(manager);
  const json = (await callManager(base, '/v1/tokens', undefined, timeoutMs)) as { tokens?: unknown };
  if (!Array.isArray(json.tokens)) throw offProtocol(base, 'GET /v1/tokens');
  return json.tokens.map((t: Record<string, unknown>) => {
    const id = identityOf(t);
    if (id === undefined || typeof t.label !== 'string') throw offProtocol(base, 'GET /v1/tokens');
    return {
      ...id,
      label: t.label,
      ...(text(t.publicKey) ? { publicKey: t.publicKey } : {}),
      ...(text(t.fingerprint, 64) ? { fingerprint: t.fingerprint } : {}),
    };
  });
}

/** A claim for `serial` signed by a dongle of `manager` (`POST /v1/tokens/activation-claim`). */
export async function requestDongleClaim(
  manager: string,
  serial: string,
  token: string | undefined,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<{ activation: TokenActivation; keyGenerated: boolean }> {
  const base = normalizeManagerAddress(manager);
  const json = (await callManager(
    base,
    '/v1/tokens/activation-claim',
    { serial, ...(token === undefined ? {} : { token }) },
    timeoutMs,
  )) as { activation?: { claim?: TokenActivation['claim']; signature?: unknown }; keyGenerated?: unknown };
  const claim = json.activation?.claim;
  const signature = json.activation?.signature;
  if (
    claim === undefined ||
    !text(signature, 128) ||
    identityOf(claim.token) === undefined ||
    claim.serial !== serial
  ) {
    throw offProtocol(base, 'POST /v1/tokens/activation-claim');
  }
  // The center checks the signature; the key must at least be one.
  parseTokenPublicKey(claim.publicKey);
  return { activation: { claim, signature }, keyGenerated: json.keyGenerated === true };
}

/**
 * Asks `manager` to prove that the dongle of `key` is plugged in: a fresh challenge, its signature
 * verified here. Throws `LICTOR_E_TOKEN_NOT_GENUINE` when the signature does not verify.
 */
export async function proveNetworkDongle(
  manager: string,
  key: TokenPublicKey,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<TokenIdentity> {
  const challenge = createTokenChallenge();
  const json = (await callManager(
    manager,
    '/v1/tokens/presence',
    { publicKey: key.text, challenge: toBase64Url(challenge) },
    timeoutMs,
  )) as { signature?: unknown; token?: unknown };
  const token = identityOf(json.token);
  if (!text(json.signature, 128) || token === undefined) throw offProtocol(manager, 'POST /v1/tokens/presence');
  const signature = fromBase64Url(json.signature);
  if (signature === null) throw offProtocol(manager, 'POST /v1/tokens/presence');
  if (!verifyTokenPresence(key, challenge, signature)) {
    throw new LictorError(
      'LICTOR_E_TOKEN_NOT_GENUINE',
      `the License Manager at ${manager} answered the presence challenge with a signature that the key ${key.fingerprint} of the license does not verify: it does not hold that dongle`,
      { manager },
    );
  }
  return token;
}

type Usable = Decision<Record<never, never>>;

/** A dongle in use and its last proof. */
interface Watched {
  key: TokenPublicKey;
  binding: TokenBinding;
  manager: string;
  paths: Set<string>;
  status: Usable;
  timer: TimerHandle | undefined;
  pending: Promise<void> | undefined;
}

/** How sure a refusal is, to report the most telling one of several managers. */
const WEIGHT: Partial<Record<ErrorCode, number>> = {
  LICTOR_E_TOKEN_NOT_GENUINE: 3,
  LICTOR_E_TOKEN_ABSENT: 2,
  LICTOR_E_MANAGER_UNREACHABLE: 0,
};

/** The documents of one load, as `openLicensing` decodes them. */
export interface NetworkDongleDoc {
  path: string;
  doc: LicenseDocument;
  presence?: TokenPresenceLookup;
}

/** The network dongles of one `openLicensing`. */
export class NetworkDongles {
  readonly #options: NetworkDongleOptions;
  readonly #env: NodeJS.ProcessEnv;
  readonly #onChange: (paths: string[]) => void;
  readonly #scheduler: Scheduler;
  readonly #intervalMs: number;
  readonly #watched = new Map<string, Watched>();
  /** The waits of proofs told to come back later; {@link close} ends them. */
  readonly #pauses = new Set<() => void>();
  #closed = false;

  constructor(options: NetworkDongleOptions, env: NodeJS.ProcessEnv, onChange: (paths: string[]) => void) {
    const intervalMs = options.intervalMs ?? DEFAULT_NETWORK_DONGLE_INTERVAL_MS;
    if (!Number.isFinite(intervalMs) || intervalMs < 10) {
      throw new LictorError('LICTOR_E_INVALID_INPUT', 'networkTokens.intervalMs must be at least 10 ms');
    }
    this.#options = options;
    this.#env = env;
    this.#onChange = onChange;
    this.#scheduler = options.scheduler ?? systemScheduler;
    this.#intervalMs = intervalMs;
  }

  /**
   * Gives every token-bound document of `docs` that a marker in `dirs` names its presence lookup
   * (proving a new dongle once before returning). Returns the paths it took over, which are not
   * looked for among the tokens plugged in here.
   */
  async apply(docs: NetworkDongleDoc[], dirs: readonly string[]): Promise<Set<string>> {
    const taken = new Set<string>();
    if (this.#closed) return taken;
    const markers: Record<string, NetworkDongleMarker> = {};
    for (const dir of dirs) Object.assign(markers, await readMarkers(dir));
    const used = new Set<string>();
    const fresh: Watched[] = [];
    for (const d of docs) {
      const binding = d.doc.binding;
      const marker = markers[d.doc.activationId];
      if (binding.kind !== 'token' || marker === undefined || marker.publicKey !== binding.publicKey) continue;
      let watched = this.#watched.get(binding.publicKey);
      if (watched === undefined) {
        let manager: string;
        try {
          manager = normalizeManagerAddress(marker.manager);
        } catch {
          manager = '';
        }
        watched = {
          key: parseTokenPublicKey(binding.publicKey),
          binding,
          manager,
          paths: new Set(),
          status: { ok: false, code: 'LICTOR_E_TOKEN_ABSENT', reason: 'not checked yet' },
          timer: undefined,
          pending: undefined,
        };
        this.#watched.set(binding.publicKey, watched);
        fresh.push(watched);
      }
      watched.paths.add(d.path);
      used.add(binding.publicKey);
      const w = watched;
      d.presence = () => w.status;
      taken.add(d.path);
    }
    for (const [key, w] of this.#watched) {
      if (used.has(key)) continue;
      this.#scheduler.clearTimeout(w.timer);
      this.#watched.delete(key);
    }
    await Promise.all(fresh.map((w) => this.#check(w, false)));
    for (const w of fresh) this.#schedule(w);
    return taken;
  }

  #schedule(w: Watched): void {
    if (this.#closed || this.#watched.get(w.binding.publicKey) !== w) return;
    w.timer = this.#scheduler.setTimeout(() => {
      void this.#check(w, true).finally(() => this.#schedule(w));
    }, this.#intervalMs);
  }

  /** The managers to ask, in order: the option's alone, else the activation's, then the located ones. */
  async #managers(w: Watched): Promise<string[]> {
    const { managers, appDir, configPaths, discover } = this.#options;
    if (managers !== undefined && managers.length > 0) return [...new Set(managers.map(normalizeManagerAddress))];
    const located = await locateManagers({
      env: this.#env,
      ...(appDir === undefined ? {} : { appDir }),
      ...(configPaths === undefined ? {} : { configPaths }),
      ...(discover === undefined ? {} : { discover }),
    }).catch(() => ({ managers: [] as string[] }));
    return [...new Set([...(w.manager === '' ? [] : [w.manager]), ...located.managers])];
  }

  #check(w: Watched, tell: boolean): Promise<void> {
    w.pending ??= this.#prove(w)
      .then((status) => {
        const before = w.status;
        w.status = status;
        const changed = before.ok !== status.ok || (!before.ok && !status.ok && before.code !== status.code);
        if (tell && changed && !this.#closed) this.#onChange([...w.paths].sort());
      })
      .finally(() => {
        w.pending = undefined;
      });
    return w.pending;
  }

  async #prove(w: Watched): Promise<Usable> {
    const name = describeTokenBinding(w.binding);
    const timeoutMs = this.#options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    let worst: LictorError | undefined;
    let managers: string[];
    try {
      managers = await this.#managers(w);
    } catch (err) {
      managers = [];
      worst = err instanceof LictorError ? err : undefined;
    }
    for (const manager of managers) {
      try {
        const token = await this.#proveAtItsPace(manager, w.key, timeoutMs);
        const { manufacturer, model, serial } = w.binding.token;
        if (token.manufacturer !== manufacturer || token.model !== model || token.serial !== serial) {
          throw new LictorError(
            'LICTOR_E_TOKEN_NOT_GENUINE',
            `the License Manager at ${manager} answered for the token ${token.manufacturer} ${token.model} #${token.serial}, not the one the license was issued for`,
          );
        }
        return { ok: true };
      } catch (err) {
        const e = err instanceof LictorError ? err : new LictorError('LICTOR_E_INTERNAL', (err as Error).message);
        if (worst === undefined || (WEIGHT[e.code] ?? 1) > (WEIGHT[worst.code] ?? 1)) worst = e;
      }
    }
    if (worst === undefined) {
      return {
        ok: false,
        code: 'LICTOR_E_MANAGER_UNREACHABLE',
        reason: `the license is bound to the hardware token ${name} on a License Manager, and no License Manager is known here (name one: lictor.ini, LICTOR_MANAGER, or openLicensing's networkTokens.managers)`,
      };
    }
    const reason =
      worst.code === 'LICTOR_E_TOKEN_ABSENT'
        ? `the hardware token ${name} is not plugged into the License Manager: ${worst.message}`
        : `the hardware token ${name} cannot be proven through the License Manager: ${worst.message}`;
    return { ok: false, code: worst.code, reason };
  }

  /**
   * {@link proveNetworkDongle}, asked again after the manager's `Retry-After` (plus a random
   * share of it) while it answers `LICTOR_E_RATE_LIMITED`, for at most {@link RATE_LIMIT_PATIENCE_MS} in all.
   */
  async #proveAtItsPace(manager: string, key: TokenPublicKey, timeoutMs: number): Promise<TokenIdentity> {
    let waited = 0;
    for (;;) {
      try {
        return await proveNetworkDongle(manager, key, timeoutMs);
      } catch (err) {
        if (!(err instanceof LictorError) || err.code !== 'LICTOR_E_RATE_LIMITED' || this.#closed) throw err;
        const seconds = err.details?.retryAfterSeconds;
        const base = typeof seconds === 'number' ? Math.min(seconds, 60) * 1000 : 1000;
        const wait = Math.max(1, Math.round(base * (1 + Math.random())));
        if (waited + wait > RATE_LIMIT_PATIENCE_MS) throw err;
        waited += wait;
        await this.#pause(wait);
        if (this.#closed) throw err;
      }
    }
  }

  /**
   * Waits `ms` on the scheduler; {@link close} ends the wait. With the system clock the wait is a
   * timer that keeps the process alive (the scheduler's are unref'd): a `lictor check` waiting
   * for its first proof must not exit meanwhile.
   */
  #pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        this.#pauses.delete(done);
        if (this.#scheduler === systemScheduler) clearTimeout(ref);
        else this.#scheduler.clearTimeout(timer);
        resolve();
      };
      const ref = this.#scheduler === systemScheduler ? setTimeout(done, ms) : undefined;
      const timer = ref === undefined ? this.#scheduler.setTimeout(done, ms) : undefined;
      this.#pauses.add(done);
    });
  }

  close(): void {
    this.#closed = true;
    for (const done of [...this.#pauses]) done();
    for (const w of this.#watched.values()) this.#scheduler.clearTimeout(w.timer);
    this.#watched.clear();
  }
}

/** A claim signed by a manager's dongle for an activation, and how to mark the license it brings. */
export interface NetworkClaim {
  activation: TokenActivation;
  keyGenerated: boolean;
  /** The manager whose dongle signed. */
  manager: string;
  /** Writes the marker of the license `activationId` into `dir` (before the license file). */
  record(dir: string, activationId: string): Promise<void>;
}

/**
 * The claim of an activation bound to a network dongle (`ActivateInput.networkToken`): asked of
 * the given manager, else of the located ones in order until one answers.
 */
export async function networkClaim(
  input: { serial: string; bindToken?: unknown; networkToken?: { manager?: string; token?: string } },
  options: NetworkDongleOptions | undefined,
  env: NodeJS.ProcessEnv,
): Promise<NetworkClaim | undefined> {
  const wanted = input.networkToken;
  if (wanted === undefined) return undefined;
  if (input.bindToken !== undefined) {
    throw new LictorError(
      'LICTOR_E_INVALID_INPUT',
      'a license is bound either to a token plugged in here (bindToken) or to one on a License Manager (networkToken), not both',
    );
  }
  const timeoutMs = options?.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let managers: string[];
  if (wanted.manager !== undefined) managers = [normalizeManagerAddress(wanted.manager)];
  else {
    const { managers: listed, appDir, configPaths, discover } = options ?? {};
    const located = await locateManagers({
      env,
      ...(listed === undefined ? {} : { managers: listed }),
      ...(appDir === undefined ? {} : { appDir }),
      ...(configPaths === undefined ? {} : { configPaths }),
      ...(discover === undefined ? {} : { discover }),
    });
    managers = located.managers;
    if (managers.length === 0) {
      throw new LictorError(
        'LICTOR_E_MANAGER_UNREACHABLE',
        `binding a license to a dongle on a License Manager needs the manager's address (lictor activate --manager URL; looked in: ${located.searched.join(', ')})`,
      );
    }
  }
  let last: LictorError | undefined;
  for (const manager of managers) {
    try {
      const { activation, keyGenerated } = await requestDongleClaim(manager, input.serial, wanted.token, timeoutMs);
      const marker: NetworkDongleMarker = {
        publicKey: activation.claim.publicKey,
        token: activation.claim.token,
        manager,
      };
      return { activation, keyGenerated, manager, record: (dir, id) => recordNetworkDongle(dir, id, marker) };
    } catch (err) {
      if (!(err instanceof LictorError) || err.code !== 'LICTOR_E_MANAGER_UNREACHABLE') throw err;
      last = err;
    }
  }
  throw last ?? new LictorError('LICTOR_E_MANAGER_UNREACHABLE', 'no License Manager answered');
}
