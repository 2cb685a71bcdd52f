/**
 * The `lictor` command as a function of its arguments: returns the exit code instead of
 * exiting, so that tests run it in-process.
 */
import { createRequire } from 'node:module';
import { LictorError } from '@lictor/protocol';
import { Command, CommanderError } from 'commander';
import { registerCenter } from './commands/center.js';
import { registerBlacklist, registerClient } from './commands/client.js';
import { registerManager } from './commands/manager.js';
import { registerRuntime } from './commands/runtime.js';
import { registerToken } from './commands/token.js';
import { registerUpgrade } from './commands/upgrade.js';
import { type Io, processIo } from './io.js';

const VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

/** Whether the user asked for JSON (`--json` before any `--`): errors are then JSON too. */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}

/** An error as `--json` prints it on stderr: `{ code, message, details? }`. */
function jsonError(code: string, message: string, details?: Record<string, unknown>): string {
  return JSON.stringify(details === undefined ? { code, message } : { code, message, details });
}

/**
 * The `lictor` command tree on `io`; `exit` receives the exit code a command sets without
 * failing (`check`). With `json`, commander's own error text is held back (`main` prints it as JSON).
 */
export function createProgram(io: Io, exit: (code: number) => void, json = false): Command {
  const program = new Command('lictor')
    .description('Lictor: software licensing (License Center, activation, license checks)')
    .version(VERSION, '-V, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s),
      writeErr: (s) => {
        if (!json) io.err(s);
      },
    })
    .showHelpAfterError();
  registerCenter(program, io);
  registerClient(program, io, exit);
  registerBlacklist(program, io);
  registerUpgrade(program, io);
  registerManager(program, io);
  registerRuntime(program, io);
  registerToken(program, io);
  withJsonEverywhere(program);
  return program;
}

/** Gives `--json` to every command that has no output of its own to print as JSON (servers): its errors are JSON then. */
function withJsonEverywhere(command: Command): void {
  for (const sub of command.commands) withJsonEverywhere(sub);
  if (command.commands.length === 0 && !command.options.some((o) => o.long === '--json')) {
    command.option('--json', 'print errors as JSON (on stderr)');
  }
}

/** Exit codes: 0 success, 1 a refusal or failure (with its code), 2 a usage error. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const json = wantsJson(argv);
  let exitCode = 0;
  const program = createProgram(
    io,
    (code) => {
      exitCode = code;
    },
    json,
  );
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return 0;
      if (json) {
        const message = err.message.replace(/^error: /, '');
        io.err(jsonError('LICTOR_E_INVALID_INPUT', message, { usage: err.code }));
      }
      return 2;
    }
    if (err instanceof LictorError) {
      io.err(json ? jsonError(err.code, err.message, err.details) : `error [${err.code}]: ${err.message}`);
      return 1;
    }
    io.err(
      json
        ? jsonError('LICTOR_E_INTERNAL', (err as Error).message ?? String(err))
        : `error: ${(err as Error).stack ?? String(err)}`,
    );
    return 1;
  }
}
