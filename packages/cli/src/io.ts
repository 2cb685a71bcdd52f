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

/** The SDK's `hardware` and `machineSecret` options: the ones an in-process caller put in `io`, else none (the real computer). */
export function computerOptions(io: Io): { hardware?: HardwareSource; machineSecret?: () => Promise<Uint8Array> } {
  return {
    ...(io.hardware ? { hardware: io.hardware } : {}),
    ...(io.machineSecret ? { machineSecret: io.machineSecret } : {}),
  };
}

/** Resolves at Ctrl-C or SIGTERM (a long-running command's end), or after `holdMs` when given. */
export function untilStopped(holdMs?: number): Promise<void> {
  return new Promise((resolve) => {
    if (holdMs !== undefined) setTimeout(resolve, holdMs);
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}
