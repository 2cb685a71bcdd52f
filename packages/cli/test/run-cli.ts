/** Runs `lictor` in-process with captured output and an injected computer (hardware, machine secret). */
import assert from 'node:assert/strict';
import type { HardwareParams } from '@lictor/protocol';
import { type Io, main } from '../src/index.js';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

export interface Computer {
  env: NodeJS.ProcessEnv;
  hardware: HardwareParams;
  machineSecret?: Uint8Array;
}

/** No environment variable or file can inject these: only an in-process caller like this one. */
export async function runCli(args: string[], computer: Computer): Promise<CliRun> {
  let out = '';
  let err = '';
  const line = (t: string) => (t.endsWith('\n') ? t : `${t}\n`);
  const secret = computer.machineSecret;
  const io: Io = {
    out: (t) => {
      out += line(t);
    },
    err: (t) => {
      err += line(t);
    },
    env: computer.env,
    hardware: async () => computer.hardware,
    ...(secret ? { machineSecret: async () => secret } : {}),
  };
  return { code: await main(args, io), out, err };
}

/** `lictor` on one computer. */
export interface Cli {
  /** Runs a command and returns what happened. */
  run(args: string[]): Promise<CliRun>;
  /** Runs a command that must succeed; returns its standard output. */
  ok(args: string[]): Promise<string>;
  /** Runs a command that must be refused (exit 1) with `code` (a pattern) on stderr; returns stderr. */
  refused(args: string[], code: string): Promise<string>;
}

/** `lictor` on `computer` (its `env` is read at each run, so changes to it apply to the next command). */
export function cliOn(computer: Computer): Cli {
  const run = (args: string[]) => runCli(args, computer);
  return {
    run,
    async ok(args) {
      const r = await run(args);
      assert.equal(r.code, 0, `lictor ${args.join(' ')} failed: ${r.err}`);
      return r.out;
    },
    async refused(args, code) {
      const r = await run(args);
      assert.equal(r.code, 1, `lictor ${args.join(' ')} should fail: ${r.out}`);
      assert.match(r.err, new RegExp(code));
      return r.err;
    },
  };
}

/** A Linux workstation's hardware, told apart from others by its host name and network card. */
export function workstation(hostname: string, mac: string): HardwareParams {
  return {
    platform: 'linux',
    osName: 'Debian',
    osVersion: '12',
    hostname,
    board: 'Dell OptiPlex 7090',
    ramBytes: 16 * 1024 ** 3,
    bios: 'Dell 1.2.3',
    cpus: ['Intel Core i7-10700 (8 cores)'],
    nics: [mac],
    disks: [`SSD-${hostname}`],
  };
}
