/**
 * `lictor upgrade start|continue|confirmation`: the customer's side of a remote upgrade, for a
 * container in a license directory or, with the token options, in a hardware token's memory.
 */
import { type AppliedUpgrade, openLicensing, writeFileAtomic } from '@lictor/sdk';
import type { Command } from 'commander';
import type { Io } from '../io.js';
import { readInputFile, vendorPublicKey } from '../options.js';
import { addTokenOptions, type TokenCliOptions, tokenOptionsFrom } from './token.js';

interface UpgradeOptions extends TokenCliOptions {
  store?: string;
  publicKey?: string;
  json?: boolean;
  container?: string;
  out?: string;
}

function withOptions(cmd: Command): Command {
  return addTokenOptions(
    cmd
      .option('--store <dir>', 'license directory (default: LICTOR_LICENSE_PATH, else per-user)')
      .option('--public-key <key>', 'vendor public key (default: LICTOR_PUBLIC_KEY)')
      .option('--json', 'print JSON'),
  );
}

async function open(io: Io, opts: UpgradeOptions) {
  const tokens = tokenOptionsFrom(opts);
  return openLicensing({
    product: '',
    publicKey: vendorPublicKey(opts.publicKey, io.env),
    env: io.env,
    watch: false,
    ...(opts.store ? { store: opts.store } : {}),
    ...(io.hardware ? { hardware: io.hardware } : {}),
    ...(io.machineSecret ? { machineSecret: io.machineSecret } : {}),
    ...(tokens ? { tokens } : {}),
  });
}

/** Where the upgraded container is: its license file, or the hardware token that holds it. */
function placeOf(applied: AppliedUpgrade): string {
  const t = applied.onToken;
  return t ? `on the hardware token "${t.label}" (${t.manufacturer} ${t.model}, serial ${t.serial})` : applied.file;
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
    const licensing = await open(io, opts);
    try {
      const started = await licensing.startUpgrade(opts.container);
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
    } finally {
      await licensing.close();
    }
  });

  withOptions(
    upgrade.command('continue <answer>').description("apply the vendor's upgrade file and print the confirmation code"),
  ).action(async (answerFile: string, _o: UpgradeOptions, cmd: Command) => {
    const opts = cmd.optsWithGlobals<UpgradeOptions>();
    const text = await readInputFile(answerFile);
    const licensing = await open(io, opts);
    try {
      const applied = await licensing.continueUpgrade(text);
      if (opts.json) return io.out(JSON.stringify(applied));
      io.out(`Container ${applied.containerId} upgraded to state ${applied.counter} (${placeOf(applied)}).`);
      io.out('Confirmation code (send it to the vendor):');
      io.out(applied.confirmationCode);
    } finally {
      await licensing.close();
    }
  });

  withOptions(
    upgrade
      .command('confirmation')
      .description('print the confirmation code of the last upgrade applied to a container again')
      .option('--container <id>', 'the container (needed when there are several)'),
  ).action(async (_o: UpgradeOptions, cmd: Command) => {
    const opts = cmd.optsWithGlobals<UpgradeOptions>();
    const licensing = await open(io, opts);
    try {
      const code = await licensing.confirmationCode(opts.container);
      io.out(opts.json ? JSON.stringify({ confirmationCode: code }) : code);
    } finally {
      await licensing.close();
    }
  });
}
