import type { HardwareSource } from '@lictor/sdk';

/** What a command may touch of the outside world, so that tests can run `main` in-process. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  /**
   * This computer's hardware parameters. Only an in-process caller (a test) can replace it:
   * no environment variable or file overrides the real hardware.
   */
  hardware?: HardwareSource;
  /** This computer's secret that container keys are sealed with; like `hardware`, only in-process callers replace it. */
  machineSecret?: () => Promise<Uint8Array>;
}

/** The process's real standard streams and environment. */
export const processIo: Io = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  env: process.env,
};
