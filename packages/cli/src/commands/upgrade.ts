/**
 * `lictor upgrade start|continue|confirmation`: the customer's side of a remote upgrade, for a
 * container in a license directory or, with the token options, in a hardware token's memory.
 */
import { type AppliedUpgrade, type Licensing, writeFileAtomic } from '@lictor/sdk';
import type { Command } from 'commander';
import type { Io } from '../io.js';
import { readInputFile } from '../options.js';
import { addClientOptions, type ClientOptions, withLicensing } from './licensing.js';
import { addTokenOptions, type TokenCliOptions, tokenName, tokenOptionsFrom } from './token.js';

interface UpgradeOptions extends ClientOptions, TokenCliOptions {
  container?: string;
  out?: string;
}

function withOptions(cmd: Command): Command {
  return addTokenOptions(addClientOptions(cmd));
}

/** Runs `run` on the licensing of the command's license directories and, with the token options, tokens. */
function withUpgradeLicensing<T>(io: Io, opts: UpgradeOptions, run: (licensing: Licensing) => Promise<T>): Promise<T> {
  return withLicensing(io, opts, run, { tokens: tokenOptionsFrom(opts) });
}

/** Where the upgraded container is: its license file, or the hardware token that holds it. */
function placeOf(applied: AppliedUpgrade): string {
  return applied.onToken ? `on the hardware token ${tokenName(applied.onToken)}` : applied.file;
}

/** Registers `lictor upgrade start|continue|confirmation`. */
export function registerUpgrade(program: Command, io: Io): void {
  const upgrade = program.command('upgrade').description("remote upgrade of a license container's contents");

  withOptions(
    upgrade
      .command('start')
      .description('start an upgrade operation: print (or write) the question to send to the vendor')
      .option('--container <id>', 'the container to upgrade (needed when there are several)')
      .option('--out <file>', 'write the question file here'),
  ).action(async (_o: UpgradeOptions, cmd: Command) => {
    const opts = cmd.optsWithGlobals<UpgradeOptions>();
    const started = await withUpgradeLicensing(io, opts, (licensing) => licensing.startUpgrade(opts.container));
    if (opts.out) await writeFileAtomic(opts.out, started.question);
    if (opts.json) return io.out(JSON.stringify({ ...started, ...(opts.out ? { file: opts.out } : {}) }));
    if (started.abandoned) {
      io.out(`The upgrade started on ${started.abandoned.createdAt} is abandoned: its answer will not apply.`);
    }
    if (opts.out) io.out(`Question for container ${started.containerId} written to ${opts.out}.`);
    else io.out(started.question);
    const t = started.onToken;
    if (t) {
      io.out(
        `The operation is kept on the hardware token "${t.label}" (serial ${t.serial}): continue it on any computer where the token is plugged in.`,
      );
    }
    io.out('Send it to the vendor. Starting another upgrade before installing the answer abandons this one.');
    io.out('Then apply the answer with: lictor upgrade continue <answer file>');
  });

  withOptions(
    upgrade.command('continue <answer>').description("apply the vendor's upgrade file and print the confirmation code"),
  ).action(async (answerFile: string, _o: UpgradeOptions, cmd: Command) => {
    const opts = cmd.optsWithGlobals<UpgradeOptions>();
    const text = await readInputFile(answerFile);
    const applied = await withUpgradeLicensing(io, opts, (licensing) => licensing.continueUpgrade(text));
    if (opts.json) return io.out(JSON.stringify(applied));
    io.out(`Container ${applied.containerId} upgraded to state ${applied.counter} (${placeOf(applied)}).`);
    io.out('Confirmation code (send it to the vendor):');
    io.out(applied.confirmationCode);
  });

  withOptions(
    upgrade
      .command('confirmation')
      .description('print the confirmation code of the last upgrade applied to a container again')
      .option('--container <id>', 'the container (needed when there are several)'),
  ).action(async (_o: UpgradeOptions, cmd: Command) => {
    const opts = cmd.optsWithGlobals<UpgradeOptions>();
    const code = await withUpgradeLicensing(io, opts, (licensing) => licensing.confirmationCode(opts.container));
    io.out(opts.json ? JSON.stringify({ confirmationCode: code }) : code);
  });
}
