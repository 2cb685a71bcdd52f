/** Runs `lictor` in-process with captured output and an injected computer (hardware, machine secret). */
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
