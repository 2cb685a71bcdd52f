/**
 * Opening the containers found while loading: each license file with container keys is
 * matched with its sealed key file, and its pending upgrade operation is read.
 */
import type { ContainerPolicy, ErrorCode, LicenseDocument } from '@lictor/protocol';
import { type ContainerPrivateKeys, type KeyRefusal, keyFilePath, openKeys, readKeyFile } from './container-keys.js';
import type { MachineSecretSource } from './machine-secret.js';
import type { TokenLocation } from './tokens/options.js';
import { readUpgradeRecord, type UpgradeRecord, upgradeRecordPath } from './upgrade-record.js';

/** A license container as the application sees it (`lictor upgrade` lists these). */
export interface ContainerInfo {
  /** The container id (stable across upgrades). */
  id: string;
  serial: string;
  activationId: string;
  /** Upgrade counter: 0 at activation, one more per applied upgrade. */
  counter: number;
  policy: ContainerPolicy;
  /** Product codes of the licenses it holds. */
  products: string[];
  /** The license file (`token:<manufacturer>/<serial>` for a container stored on a hardware token). */
  file: string;
  /** The hardware token whose memory holds the container, when it is not a file. */
  onToken?: TokenLocation;
  /** Whether its license names container keys (one activated before containers had keys does not). */
  hasKeys: boolean;
  /** Whether a remote upgrade can be started (its key file opens on this computer). */
  upgradable: boolean;
  /** Why it cannot be upgraded (or, for a software dongle, used). */
  code?: ErrorCode;
  reason?: string;
  /** The question asked last and not yet answered. */
  pendingQuestion?: { nonce: string; createdAt: string };
}

/** A container found while loading (internal). */
export interface LoadedContainer {
  doc: LicenseDocument;
  path: string;
  /** The license file's text, as sent in a question. */
  text: string;
  keys: { ok: true; keys: ContainerPrivateKeys } | KeyRefusal;
  pending: UpgradeRecord | undefined;
  /** The hardware token whose memory holds it (its keys come from the token); absent for files. */
  token?: TokenLocation;
}

function unsupported(reason: string): KeyRefusal {
  return { ok: false, code: 'LICTOR_E_UPGRADE_UNSUPPORTED', reason };
}

async function openKeyState(
  doc: LicenseDocument,
  path: string,
  secret: () => Promise<Uint8Array>,
): Promise<LoadedContainer['keys']> {
  const dongle = doc.policy === 'software-dongle';
  if (doc.containerKeys === undefined) {
    return dongle
      ? { ok: false, code: 'LICTOR_E_CONTAINER_TAMPERED', reason: 'this software dongle carries no container keys' }
      : unsupported('this license was activated before containers had keys: activate it again to upgrade it remotely');
  }
  const file = keyFilePath(path, doc.serial, doc.activationId);
  let text: string | null;
  let machine: Uint8Array;
  try {
    text = await readKeyFile(file);
    if (text === null) {
      return dongle
        ? { ok: false, code: 'LICTOR_E_CONTAINER_TAMPERED', reason: `the container's key file is missing: ${file}` }
        : unsupported(`the container's key file is missing (${file}): the license works but cannot be upgraded`);
    }
    machine = await secret();
  } catch (err) {
    return { ok: false, code: 'LICTOR_E_FILE_UNREADABLE', reason: `${file}: ${(err as Error).message}` };
  }
  return openKeys(text, machine, doc.containerId);
}

/**
 * Opens the key file and reads the pending operation of every decoded license. `records`: the
 * pending operations the store holds (`listUpgradeRecords`); without it, or with `null`,
 * each one is looked for.
 */
export async function loadContainers(
  docs: readonly { path: string; doc: LicenseDocument; text: string }[],
  machineSecret: MachineSecretSource,
  storeDir: string,
  records?: Promise<ReadonlySet<string> | null>,
): Promise<Map<string, LoadedContainer>> {
  const present = await records;
  const pendingOf = (containerId: string) =>
    present == null || present.has(upgradeRecordPath(storeDir, containerId))
      ? readUpgradeRecord(storeDir, containerId).catch(() => undefined)
      : undefined;
  let secret: Promise<Uint8Array> | undefined;
  const lazySecret = () => {
    secret ??= machineSecret();
    return secret;
  };
  const out = new Map<string, LoadedContainer>();
  await Promise.all(
    docs.map(async ({ path, doc, text }) => {
      const [keys, pending] = await Promise.all([openKeyState(doc, path, lazySecret), pendingOf(doc.containerId)]);
      out.set(path, { doc, path, text, keys, pending });
    }),
  );
  return out;
}

/** The public description of a loaded container. */
export function containerInfo(c: LoadedContainer): ContainerInfo {
  const { doc } = c;
  return {
    id: doc.containerId,
    serial: doc.serial,
    activationId: doc.activationId,
    counter: doc.counter,
    policy: doc.policy ?? 'standard',
    products: [...new Set(doc.licenses.map((e) => e.product))],
    file: c.path,
    ...(c.token ? { onToken: c.token } : {}),
    hasKeys: doc.containerKeys !== undefined,
    upgradable: c.keys.ok,
    ...(c.keys.ok ? {} : { code: c.keys.code, reason: c.keys.reason }),
    ...(c.pending ? { pendingQuestion: { nonce: c.pending.nonce, createdAt: c.pending.createdAt } } : {}),
  };
}
