/**
 * A container stored on a hardware token, as the storage of a remote upgrade
 * ({@link ContainerStorage}): the license is the token's `lictor-license` data object, the pending
 * operation its `lictor-upgrade` object (private), both in the token's memory, so that they travel
 * with the token.
 *
 * Opening it proves, before anything is read or written, that the token is the one the license
 * was programmed for: a fresh challenge signed by the key the license names (a copy of the data
 * objects on another token has no such key), and that the license on the token is still the state
 * that was loaded. Every replace is the token layer's: the new copy first (next generation), then
 * the old copies destroyed, so a crash leaves the old license or the new one.
 */
import {
  describeTokenBinding,
  fromUtf8,
  LictorError,
  parseTokenPublicKey,
  TOKEN_LICENSE_LABEL,
  TOKEN_UPGRADE_LABEL,
  utf8,
} from '@lictor/protocol';
import type { TokenSession } from '@lictor/token';
import type { LoadedContainer } from '../containers.js';
import { parseUpgradeRecord, type UpgradeRecord } from '../upgrade-record.js';
import type { ContainerStorage } from '../upgrade-storage.js';
import { logInIfRequired, type TokenSupport } from './load.js';

/** The pending operation stored on the token (the session must be logged in); a damaged record counts as none. */
export async function readTokenUpgradeRecord(session: TokenSession): Promise<UpgradeRecord | undefined> {
  let bytes: Uint8Array | null;
  try {
    bytes = await session.readData(TOKEN_UPGRADE_LABEL);
  } catch (err) {
    if ((err as { code?: unknown }).code === 'LICTOR_E_CONTAINER_TAMPERED') return undefined;
    throw err;
  }
  const text = bytes === null ? null : fromUtf8(bytes);
  return text === null ? undefined : parseUpgradeRecord(text);
}

/**
 * A session on the token with this serial number. A token plugged in since the module was
 * initialized may need a re-initialization to be seen (SoftHSM2, and modules that enumerate their
 * readers only at `C_Initialize`): once, unless another part of the process did it meanwhile.
 */
async function openSession(support: TokenSupport, serial: string): Promise<TokenSession> {
  const { module } = support;
  const generation = module.generation;
  try {
    return await module.openToken({ serial });
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'LICTOR_E_TOKEN_ABSENT') throw err;
    await module.reinitialize({ ifGeneration: generation });
    return module.openToken({ serial });
  }
}

/** Logs in, proves the token's key with a fresh challenge, and checks the license is still `c`'s. */
async function prove(session: TokenSession, support: TokenSupport, c: LoadedContainer): Promise<void> {
  const { binding } = c.doc;
  if (binding.kind !== 'token') throw new Error('a token container is always bound to a token');
  const name = describeTokenBinding(binding);
  await logInIfRequired(session, support, `upgrading the license on the hardware token ${name}`);
  const { manufacturer, model } = session.token;
  if (manufacturer !== binding.token.manufacturer || model !== binding.token.model) {
    throw new LictorError(
      'LICTOR_E_TOKEN_NOT_GENUINE',
      `the token with serial ${session.token.serial} is a ${manufacturer} ${model}, not the ${binding.token.manufacturer} ${binding.token.model} the license was programmed on; the upgrade is refused`,
    );
  }
  await support.pkg.proveTokenPresence(session, parseTokenPublicKey(binding.publicKey));
  const stored = await session.readData(TOKEN_LICENSE_LABEL);
  if (stored === null || fromUtf8(stored) !== c.text) {
    throw new LictorError(
      'LICTOR_E_UPGRADE_STALE',
      `the license on the hardware token ${name} changed since it was read (another program upgraded or programmed it); run the command again`,
    );
  }
}

/** A logged-in session on the token, after {@link prove} passed. */
async function openProven(support: TokenSupport, c: LoadedContainer, serial: string): Promise<TokenSession> {
  for (let attempt = 0; ; attempt++) {
    const session = await openSession(support, serial);
    try {
      await prove(session, support, c);
      return session;
    } catch (err) {
      const ended = !session.open;
      await session.close();
      // Another part of the process (a presence monitor) re-initialized the module meanwhile: once more.
      if (attempt === 0 && ended && (err as { code?: unknown }).code === 'LICTOR_E_TOKEN_ABSENT') continue;
      throw err;
    }
  }
}

/**
 * Opens the storage of a container read from a token's memory: a session on that token, logged
 * in, after the token proved the key its license names. Throws `LICTOR_E_TOKEN_NOT_GENUINE` for a
 * copy of the license on another token, `LICTOR_E_TOKEN_ABSENT` when the token was pulled out,
 * `LICTOR_E_TOKEN_PIN_REQUIRED` without a PIN.
 */
export async function openTokenStorage(support: TokenSupport, c: LoadedContainer): Promise<ContainerStorage> {
  const location = c.token;
  const { binding } = c.doc;
  if (location === undefined || binding.kind !== 'token') {
    throw new Error('openTokenStorage is for containers read from a token bound to it');
  }
  if (binding.token.serial !== location.serial) {
    throw new LictorError(
      'LICTOR_E_TOKEN_NOT_GENUINE',
      `the license of container ${c.doc.containerId} was programmed on the token ${describeTokenBinding(binding)}, but this copy is on the token "${location.label}" (serial ${location.serial}): a copy of a token's memory does not carry the token's key and is not upgraded; plug in the token it was programmed on`,
    );
  }
  const open = await openProven(support, c, location.serial);
  const name = describeTokenBinding(binding);
  const replaceLicense = async (text: string) => {
    await open.writeData(TOKEN_LICENSE_LABEL, utf8(text), { private: false });
    const back = await open.readData(TOKEN_LICENSE_LABEL);
    if (back === null || fromUtf8(back) !== text) {
      throw new LictorError(
        'LICTOR_E_TOKEN_FAILED',
        `the hardware token ${name} does not read back the license just written to it; run the command again`,
      );
    }
  };
  return {
    readPending: () => readTokenUpgradeRecord(open),
    async writePending(record) {
      // Compact JSON: token memory is small (at most about 2 KB with 20 abandoned questions).
      await open.writeData(TOKEN_UPGRADE_LABEL, utf8(JSON.stringify(record)), { private: true });
    },
    async clearPending() {
      await open.deleteData(TOKEN_UPGRADE_LABEL);
    },
    replaceLicense,
    async tidy() {
      // Killed between creating the new copy and destroying the old one: writing the newest whole
      // copy (the license that was proven current) again leaves one copy.
      const stored = (await open.listData()).find((d) => d.name === TOKEN_LICENSE_LABEL);
      if (stored !== undefined && stored.copies > 1) await replaceLicense(c.text);
    },
    replacedAt: async () => undefined,
    release: () => open.close(),
  };
}
