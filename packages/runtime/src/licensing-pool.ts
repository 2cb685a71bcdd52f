/**
 * The licensing states the runtime keeps: one SDK `openLicensing` per vendor key, product and
 * kind of application (role and bitness), opened on first use and kept (reloaded by the SDK's
 * own watcher when license files change), the least recently used closed beyond a cap.
 */
import { type ApplicationRole, parsePublicKey, toHex, type VendorPublicKey } from '@lictor/protocol';
import type { ChangeEvent, Licensing } from '@lictor/sdk';

/** Which licensing state a request needs. */
export interface LicensingKey {
  /** The vendor public key as the application sent it. */
  publicKey: string;
  product: string;
  role: ApplicationRole;
  bitness: 32 | 64;
}

/** What opens one licensing state (the composition root binds the SDK's `openLicensing` and the computer). */
export type LicensingOpener = (key: {
  publicKey: VendorPublicKey;
  product: string;
  role: ApplicationRole;
  bitness: 32 | 64;
}) => Promise<Licensing>;

/** A licensing state of the pool. */
export interface PooledLicensing {
  readonly key: Readonly<LicensingKey>;
  /** The first 8 bytes of SHA-256 of the vendor public key, hex. */
  readonly vendorKeyId: string;
  readonly licensing: Licensing;
}

/** Options of {@link LicensingPool}. */
export interface LicensingPoolOptions {
  open: LicensingOpener;
  /** Most licensing states kept open (default 64); beyond it the least recently used is closed. */
  max?: number;
  /** Told of every change the SDK's watcher reports for a kept state. */
  onChange?: (pooled: PooledLicensing, change: ChangeEvent) => void;
}

/** Licensing states by {@link LicensingKey}. */
export class LicensingPool {
  readonly #open: LicensingOpener;
  readonly #max: number;
  readonly #onChange: LicensingPoolOptions['onChange'];
  /** In order of use, most recent last (a Map keeps insertion order). */
  readonly #opened = new Map<string, PooledLicensing>();
  readonly #opening = new Map<string, Promise<PooledLicensing>>();
  #closed = false;

  constructor(options: LicensingPoolOptions) {
    this.#open = options.open;
    this.#max = options.max ?? 64;
    this.#onChange = options.onChange;
  }

  /** The state for `key`, opened now if it is not open yet (concurrent callers share one opening). */
  get(key: LicensingKey): Promise<PooledLicensing> {
    const id = keyId(key);
    const opened = this.#opened.get(id);
    if (opened !== undefined) {
      // Most recently used goes last.
      this.#opened.delete(id);
      this.#opened.set(id, opened);
      return Promise.resolve(opened);
    }
    let opening = this.#opening.get(id);
    if (opening === undefined) {
      opening = this.#openState(id, key).finally(() => this.#opening.delete(id));
      this.#opening.set(id, opening);
    }
    return opening;
  }

  /** Every state open now, least recently used first. */
  entries(): PooledLicensing[] {
    return [...this.#opened.values()];
  }

  /** Closes every state. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#opening.values()]);
    const all = [...this.#opened.values()];
    this.#opened.clear();
    await Promise.all(all.map((p) => p.licensing.close()));
  }

  async #openState(id: string, key: LicensingKey): Promise<PooledLicensing> {
    if (this.#closed) throw new Error('the licensing pool is closed');
    const publicKey = parsePublicKey(key.publicKey);
    const licensing = await this.#open({ publicKey, product: key.product, role: key.role, bitness: key.bitness });
    const pooled: PooledLicensing = {
      key: Object.freeze({ ...key }),
      vendorKeyId: toHex(publicKey.keyId),
      licensing,
    };
    if (this.#closed) {
      await licensing.close();
      throw new Error('the licensing pool is closed');
    }
    licensing.on('change', (change) => this.#onChange?.(pooled, change));
    this.#opened.set(id, pooled);
    while (this.#opened.size > this.#max) {
      const [oldest, evicted] = this.#opened.entries().next().value as [string, PooledLicensing];
      this.#opened.delete(oldest);
      evicted.licensing.close().catch(() => undefined);
    }
    return pooled;
  }
}

/** The map key of a {@link LicensingKey}. */
function keyId(key: LicensingKey): string {
  return `${key.publicKey}\n${key.product}\n${key.role}\n${key.bitness}`;
}
