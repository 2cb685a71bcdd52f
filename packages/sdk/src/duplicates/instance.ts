/**
 * The instance an announcement speaks for: one running computer. Applications on the same
 * computer share it (so they are not each other's duplicates); a cloned computer or virtual
 * machine, started on its own, gets another one even though its machine id is the same.
 */
import { readFile } from 'node:fs/promises';
import { uptime } from 'node:os';
import { hmacSha256, toBase64Url, utf8 } from '@lictor/protocol';

/**
 * What tells this boot of the computer from another: Linux's random `boot_id`; elsewhere the
 * boot time to the minute (processes of one boot agree on it; clones booted apart do not).
 */
export async function bootIdentity(now = Date.now()): Promise<string> {
  const id = await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => '');
  if (id.trim() !== '') return id.trim();
  return `boot@${Math.round((now / 1000 - uptime()) / 60)}`;
}

/** The instance id: derived from the machine secret and the boot, revealing neither (22 characters). */
export function instanceId(machineSecret: Uint8Array, boot: string): string {
  return toBase64Url(hmacSha256(machineSecret, utf8(`lictor/v1/instance\0${boot}`)).subarray(0, 16));
}
