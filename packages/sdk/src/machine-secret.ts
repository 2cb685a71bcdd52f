/**
 * The machine secret: a per-computer value that seals container private keys, so that a
 * container copied to another computer does not open there. Derived from the operating
 * system's machine id with HMAC; the raw id is never stored or exposed.
 */
import { readFile } from 'node:fs/promises';
import { hmacSha256, LictorError, sha256, toHex, utf8 } from '@lictor/protocol';

/** Returns this computer's machine secret (32 bytes). Called lazily, at most once per load. */
export type MachineSecretSource = () => Promise<Uint8Array>;

const LINUX_ID_FILES = ['/etc/machine-id', '/var/lib/dbus/machine-id'];

async function rawMachineId(platform: NodeJS.Platform): Promise<string> {
  if (platform === 'linux') {
    for (const path of LINUX_ID_FILES) {
      const id = (await readFile(path, 'utf8').catch(() => '')).trim();
      if (id !== '') return id;
    }
  } else {
    const si = await import('systeminformation');
    const id = (await si.uuid().catch(() => ({ os: '' }))).os.trim();
    if (id !== '') return id;
  }
  throw new LictorError(
    'LICTOR_E_FILE_UNREADABLE',
    platform === 'linux'
      ? `cannot read this computer's machine id (${LINUX_ID_FILES.join(', ')})`
      : "cannot read this computer's machine id from the operating system",
  );
}

/** The machine secret of a machine id: HMAC-SHA256(key = `lictor/v1/machine-secret`, machine id). */
export function machineSecretFromId(machineId: string): Uint8Array {
  return hmacSha256(utf8('lictor/v1/machine-secret'), machineId);
}

/** The default machine secret of each platform, read once per process (see {@link defaultMachineSecret}). */
const defaultSecrets = new Map<NodeJS.Platform, Promise<Uint8Array>>();

/**
 * The default machine secret: {@link machineSecretFromId} of the machine id, where
 * the machine id is `/etc/machine-id` (or `/var/lib/dbus/machine-id`) on Linux and the OS UUID
 * elsewhere. Cached for the process after the first successful read (the machine id does not
 * change while it runs; every `openLicensing` of the process shares the read).
 */
export function defaultMachineSecret(platform: NodeJS.Platform = process.platform): MachineSecretSource {
  return () => {
    let cached = defaultSecrets.get(platform);
    if (cached === undefined) {
      const reading = rawMachineId(platform).then(machineSecretFromId);
      reading.catch(() => {
        if (defaultSecrets.get(platform) === reading) defaultSecrets.delete(platform);
      });
      defaultSecrets.set(platform, reading);
      cached = reading;
    }
    return cached;
  };
}

/** A short public tag of a machine secret (8 bytes, hex): tells "another computer" from "altered". */
export function machineTag(secret: Uint8Array): string {
  const label = utf8('lictor/v1/machine-tag');
  const bytes = new Uint8Array(label.length + secret.length);
  bytes.set(label);
  bytes.set(secret, label.length);
  return toHex(sha256(bytes).subarray(0, 8));
}
