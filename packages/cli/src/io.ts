import type { EventEmitter } from 'node:events';
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
  /** Where SIGINT and SIGTERM come from (default: the process); an in-process caller emits them itself. */
  signals?: EventEmitter;
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

/** What ended {@link untilStopped}. */
export type StopReason = 'SIGINT' | 'SIGTERM' | 'time';

/**
 * Resolves at Ctrl-C or SIGTERM (a long-running command's end), or after `holdMs` when given.
 * It leaves nothing behind: the timer is cleared and the signal listeners removed, so that the
 * process ends as soon as the command has released what it holds.
 */
export function untilStopped(io: Io, holdMs?: number): Promise<StopReason> {
  const signals = io.signals ?? process;
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const stop = (reason: StopReason) => {
      if (timer !== undefined) clearTimeout(timer);
      signals.off('SIGINT', onInt);
      signals.off('SIGTERM', onTerm);
      resolve(reason);
    };
    const onInt = () => stop('SIGINT');
    const onTerm = () => stop('SIGTERM');
    signals.on('SIGINT', onInt);
    signals.on('SIGTERM', onTerm);
    if (holdMs !== undefined) timer = setTimeout(() => stop('time'), holdMs);
  });
}

/** How long an operation may run before {@link withProgress} says on stderr what it is waiting for. */
export const PROGRESS_AFTER_MS = 1000;

/**
 * Runs `run`; if it has not finished after {@link PROGRESS_AFTER_MS}, prints `text` on stderr
 * (`…` appended) so that a person knows what the command waits for. Nothing is printed for quick
 * operations, nor with `quiet` (`--json`: stderr then holds only a JSON error).
 */
export async function withProgress<T>(io: Io, text: string, run: () => Promise<T>, quiet = false): Promise<T> {
  const timer = quiet ? undefined : setTimeout(() => io.err(`${text}…`), PROGRESS_AFTER_MS);
  timer?.unref();
  try {
    return await run();
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
