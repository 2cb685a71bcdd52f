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

/** Exit codes: 0 success, 1 a refusal or failure (with its code), 2 a usage error. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  let exitCode = 0;
  const program = new Command('lictor')
    .description('Lictor: software licensing (License Center, activation, license checks)')
    .version(VERSION, '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showHelpAfterError();
  registerCenter(program, io);
  registerClient(program, io, (code) => {
    exitCode = code;
  });
  registerBlacklist(program, io);
  registerUpgrade(program, io);
  registerManager(program, io);
  registerRuntime(program, io);
  registerToken(program, io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof LictorError) {
      io.err(`error [${err.code}]: ${err.message}`);
      return 1;
    }
    io.err(`error: ${(err as Error).stack ?? String(err)}`);
    return 1;
  }
}
