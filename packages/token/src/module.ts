/**
 * A handle on a loaded PKCS#11 module: lists its tokens, opens sessions, and re-initializes it so
 * that it sees tokens plugged in or pulled out.
 */
import { LictorError } from '@lictor/protocol';
import {
  CKF_LOGIN_REQUIRED,
  CKF_REMOVABLE_DEVICE,
  CKF_TOKEN_INITIALIZED,
  CKF_TOKEN_PRESENT,
  CKF_USER_PIN_LOCKED,
  CKF_WRITE_PROTECTED,
  reportedFreeMemory,
} from './flags.js';
import { enqueue, initialize, type LoadedLibrary, loadLibrary, releaseLibrary } from './library.js';
import { type ModuleLookup, resolveModule } from './module-paths.js';
import { TokenSession } from './session.js';
import { ckrName, toTokenError } from './token-errors.js';
import {
  describeSelector,
  describeToken,
  matchesSelector,
  slotIdText,
  type TokenDescription,
  type TokenSelector,
} from './token-info.js';

/** A slot, the token in it, and whether that token is write-protected (internal). */
interface Slot {
  handle: Buffer;
  token: TokenDescription;
  writeProtected: boolean;
}

function readSlot(lib: LoadedLibrary, handle: Buffer): Slot {
  const slotInfo = lib.pkcs11.C_GetSlotInfo(handle);
  const base: TokenDescription = {
    slot: slotIdText(handle),
    present: (slotInfo.flags & CKF_TOKEN_PRESENT) !== 0,
    initialized: false,
    removable: (slotInfo.flags & CKF_REMOVABLE_DEVICE) !== 0,
    label: '',
    manufacturer: '',
    model: '',
    serial: '',
    loginRequired: false,
    pinLocked: false,
  };
  if (!base.present) return { handle, token: base, writeProtected: false };
  try {
    const t = lib.pkcs11.C_GetTokenInfo(handle);
    const freePrivateMemory = reportedFreeMemory(t.freePrivateMemory, t.totalPrivateMemory);
    const freePublicMemory = reportedFreeMemory(t.freePublicMemory, t.totalPublicMemory);
    const token: TokenDescription = {
      ...base,
      initialized: (t.flags & CKF_TOKEN_INITIALIZED) !== 0,
      label: t.label.trim(),
      manufacturer: t.manufacturerID.trim(),
      model: t.model.trim(),
      serial: t.serialNumber.trim(),
      loginRequired: (t.flags & CKF_LOGIN_REQUIRED) !== 0,
      pinLocked: (t.flags & CKF_USER_PIN_LOCKED) !== 0,
      ...(freePrivateMemory === undefined ? {} : { freePrivateMemory }),
      ...(freePublicMemory === undefined ? {} : { freePublicMemory }),
    };
    return { handle, token, writeProtected: (t.flags & CKF_WRITE_PROTECTED) !== 0 };
  } catch (err) {
    // SoftHSM2 answers CKR_GENERAL_ERROR for a token whose directory vanished: not present.
    return {
      handle,
      token: { ...base, present: false, problem: ckrName(err) ?? (err as Error).message },
      writeProtected: false,
    };
  }
}

/** Every slot of the module, in its order (call it through {@link enqueue}). */
function readSlots(lib: LoadedLibrary): Slot[] {
  try {
    return lib.pkcs11.C_GetSlotList(false).map((handle) => readSlot(lib, handle));
  } catch (err) {
    throw toTokenError(err, { doing: `listing the slots of ${lib.path}` });
  }
}

/** A handle on a loaded PKCS#11 module: lists tokens and opens sessions on them. */
export class TokenModule {
  readonly #lib: LoadedLibrary;
  #closed = false;

  /** @internal Use {@link openTokenModule}. */
  constructor(lib: LoadedLibrary) {
    this.#lib = lib;
  }

  /** The library's path. */
  get path(): string {
    return this.#lib.path;
  }

  /** Moves forward on every re-initialization of the module (by any handle in this process). */
  get generation(): number {
    return this.#lib.generation;
  }

  #use(): LoadedLibrary {
    if (this.#closed) throw new LictorError('LICTOR_E_INTERNAL', 'this token module handle was closed');
    return this.#lib;
  }

  /** Every slot of the module with the token in it (if any), in the module's order. */
  listTokens(): Promise<TokenDescription[]> {
    const lib = this.#use();
    return enqueue(lib, () => readSlots(lib).map((s) => s.token));
  }

  /**
   * Opens a session on the one present, initialized token matching `selector` (any token when
   * empty). Throws `LICTOR_E_TOKEN_ABSENT` when none matches, `LICTOR_E_TOKEN_AMBIGUOUS` when
   * several do. The session is read/write unless the token is write-protected.
   */
  openToken(selector: TokenSelector = {}): Promise<TokenSession> {
    const lib = this.#use();
    return enqueue(lib, () => {
      const { pkcs11, binding } = lib;
      const present = readSlots(lib).filter((s) => s.token.present && s.token.initialized);
      const matching = present.filter((s) => matchesSelector(s.token, selector));
      const [found, other] = matching;
      if (found === undefined) {
        const seen = present.map((s) => describeToken(s.token)).join(', ') || 'none';
        throw new LictorError(
          'LICTOR_E_TOKEN_ABSENT',
          `no token with ${describeSelector(selector)} is present in ${lib.path} (present: ${seen}); plug it in`,
          { selector: { ...selector, slot: selector.slot?.toString() } },
        );
      }
      if (other !== undefined) {
        throw new LictorError(
          'LICTOR_E_TOKEN_AMBIGUOUS',
          `several tokens match ${describeSelector(selector)}: ${matching.map((s) => describeToken(s.token)).join(', ')}; name one by its serial number`,
        );
      }
      try {
        const flags = binding.CKF_SERIAL_SESSION | (found.writeProtected ? 0 : binding.CKF_RW_SESSION);
        const handle = pkcs11.C_OpenSession(found.handle, flags);
        return new TokenSession(lib, found.token, handle, lib.generation);
      } catch (err) {
        throw toTokenError(err, { doing: 'opening a session', token: describeToken(found.token), wasPresent: true });
      }
    });
  }

  /**
   * Finalizes and initializes the module again, so that it sees tokens plugged in or pulled out
   * since (SoftHSM2, and modules that enumerate their readers only at `C_Initialize`, need this).
   * Every session of the module in this process is closed by it. With `ifGeneration` (a
   * {@link generation} read before looking for a token), does nothing when the module was
   * re-initialized since: a second look is fresh already. Returns whether it ran.
   */
  reinitialize(options: { ifGeneration?: number } = {}): Promise<boolean> {
    const lib = this.#use();
    return enqueue(lib, () => {
      if (!lib.owned) return false;
      if (options.ifGeneration !== undefined && options.ifGeneration !== lib.generation) return false;
      try {
        lib.pkcs11.C_Finalize();
      } catch (err) {
        if (ckrName(err) !== 'CKR_CRYPTOKI_NOT_INITIALIZED')
          throw toTokenError(err, { doing: 'finalizing the module' });
      }
      lib.generation += 1;
      initialize(lib);
      return true;
    });
  }

  /** Releases this handle; the last handle of a library finalizes and unloads it. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    const lib = this.#lib;
    return enqueue(lib, () => releaseLibrary(lib));
  }
}

/**
 * Loads a PKCS#11 module (see {@link resolveModule} for how `module` is found) and initializes
 * it. Throws `LICTOR_E_TOKEN_MODULE_MISSING` with the reason when the binding, the library or its
 * initialization fails: callers that serve other licenses too report "token licenses
 * unavailable: <message>" and go on.
 */
export function openTokenModule(module?: string, lookup?: ModuleLookup): TokenModule {
  const { path } = resolveModule(module, lookup);
  return new TokenModule(loadLibrary(path));
}
