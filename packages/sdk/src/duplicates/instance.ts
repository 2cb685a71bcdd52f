/**
 * The instance an announcement speaks for: one boot of one computer. Every application and
 * License Manager on the computer shares it (so they are never each other's duplicates), on every
 * operating system and whatever the wall clock says; a cloned computer or virtual machine,
 * started on its own, gets another one even though its machine id is the same.
 *
 * The instance is an HMAC of the machine secret and the operating system's identity of the
 * current boot: Linux's random `boot_id`, macOS's `kern.bootsessionuuid`, Windows' boot counter
 * (`BootId`). Each is the same for every process and user of one boot, survives clock steps and
 * suspend/resume, and changes with a reboot. Where none can be read, a per-boot record is
 * created once with an exclusive create, and recognised by the monotonic uptime (never the wall
 * clock): see {@link bootRecord}.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { link, mkdir, readdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { tmpdir, uptime } from 'node:os';
import { join } from 'node:path';
import { isErrno } from '@lictor/node-io';
import { hmacSha256, toBase64Url, utf8 } from '@lictor/protocol';

/** Runs a command and returns its standard output ('' when it fails). */
export type RunCommand = (file: string, args: string[]) => Promise<string>;

const run: RunCommand = (file, args) =>
  new Promise((resolve) => {
    execFile(file, args, { timeout: 5000, windowsHide: true }, (error, stdout) => resolve(error ? '' : String(stdout)));
  });

const WINDOWS_BOOT_KEY =
  'HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Memory Management\\PrefetchParameters';

/**
 * The operating system's identity of the current boot, or `null` where it has none readable.
 * Never derived from the wall clock.
 */
export async function bootIdentity(
  platform: NodeJS.Platform = process.platform,
  exec: RunCommand = run,
  read: (path: string) => Promise<string> = (path) => readFile(path, 'utf8'),
): Promise<string | null> {
  if (platform === 'linux') {
    const id = (await read('/proc/sys/kernel/random/boot_id').catch(() => '')).trim();
    return id === '' ? null : `linux:${id}`;
  }
  if (platform === 'darwin') {
    const id = (await exec('/usr/sbin/sysctl', ['-n', 'kern.bootsessionuuid'])).trim();
    return id === '' ? null : `darwin:${id}`;
  }
  if (platform === 'win32') {
    const out = await exec('reg', ['query', WINDOWS_BOOT_KEY, '/v', 'BootId']);
    const m = /BootId\s+REG_DWORD\s+(0x[0-9a-fA-F]+)/.exec(out);
    return m?.[1] === undefined ? null : `win32:${Number(m[1])}`;
  }
  return null;
}

interface RecordFile {
  nonce: string;
  /** Uptime in seconds when the record was made. */
  uptimeS: number;
}

async function readRecord(path: string): Promise<RecordFile | null> {
  try {
    const r = JSON.parse(await readFile(path, 'utf8')) as Partial<RecordFile>;
    return typeof r.nonce === 'string' && typeof r.uptimeS === 'number' ? { nonce: r.nonce, uptimeS: r.uptimeS } : null;
  } catch {
    return null;
  }
}

/**
 * The per-boot record where the operating system names no boot: `instance-<n>.json` in `dir`,
 * holding a random nonce. The newest record belongs to this boot while the uptime is not below
 * the uptime it was made at (a reboot starts the uptime again); otherwise the next record is
 * published with an exclusive create (`link`), so that processes starting together agree on one.
 * A new boot that has been up longer than the old record was is taken for the same boot: the
 * error is on the side of one instance, which is never a duplicate. The uptime is read after the
 * record (`uptimeS` as a function): a process that started before another published its record
 * still reads an uptime at least that record's, so it is not taken for a reboot.
 */
export async function bootRecord(dir: string, uptimeS: number | (() => number) = uptime): Promise<string> {
  const upNow = typeof uptimeS === 'number' ? () => uptimeS : uptimeS;
  await mkdir(dir, { recursive: true, mode: 0o1777 });
  for (let attempt = 0; attempt < 5; attempt++) {
    const numbers = (await readdir(dir))
      .map((name) => /^instance-(\d+)\.json$/.exec(name)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .sort((a, b) => b - a);
    const newest = numbers[0] ?? 0;
    const current = newest > 0 ? await readRecord(join(dir, `instance-${newest}.json`)) : null;
    const up = upNow();
    if (current !== null && up >= current.uptimeS) return current.nonce;
    const record: RecordFile = { nonce: toBase64Url(randomBytes(16)), uptimeS: up };
    const temp = join(dir, `.instance-${process.pid}-${toBase64Url(randomBytes(6))}.tmp`);
    await writeFile(temp, JSON.stringify(record), { mode: 0o644 });
    try {
      await link(temp, join(dir, `instance-${newest + 1}.json`));
      for (const n of numbers) await unlink(join(dir, `instance-${n}.json`)).catch(() => {});
      return record.nonce;
    } catch (error) {
      if (!isErrno(error, 'EEXIST')) throw error;
      // Another process of this boot published it first: read theirs.
    } finally {
      await unlink(temp).catch(() => {});
    }
  }
  throw new Error(`cannot agree on an instance record in ${dir}`);
}

/** The instance id: derived from the machine secret and the boot, revealing neither (22 characters). */
export function instanceId(machineSecret: Uint8Array, boot: string): string {
  return toBase64Url(hmacSha256(machineSecret, utf8(`lictor/v1/instance\0${boot}`)).subarray(0, 16));
}

/** Where this computer's instance comes from (tests replace each). */
export interface InstanceSources {
  /** The boot identity (default {@link bootIdentity}). */
  boot?: () => Promise<string | null>;
  /** Directory of the per-boot record when there is no boot identity (default `<tmp>/lictor-instances`). */
  recordDir?: string;
  /** Seconds since boot (default `os.uptime`). */
  uptime?: () => number;
}

/** This computer's instance id for the current boot. */
export async function resolveInstanceId(machineSecret: Uint8Array, sources: InstanceSources = {}): Promise<string> {
  const boot = await (sources.boot ?? (() => bootIdentity()))();
  if (boot !== null) return instanceId(machineSecret, boot);
  const nonce = await bootRecord(sources.recordDir ?? join(tmpdir(), 'lictor-instances'), sources.uptime ?? uptime);
  return instanceId(machineSecret, `record:${nonce}`);
}
