import type { UpgradeChanges } from '@lictor/center';
import { LictorError } from '@lictor/protocol';
import { writeFileAtomic } from '@lictor/sdk';
import type { Command } from 'commander';
import type { Io } from '../io.js';
import { collect, expiryFrom, parseFeature, positiveInt, readInputFile } from '../options.js';
import { dataOption, withCenter } from './center-data.js';

interface UpgradeCommandOptions {
  addFeature?: string[];
  users?: string[];
  extendDays?: number;
  expires?: string;
  out?: string;
  data?: string;
  json?: boolean;
}

function usersChange(text: string): { code: string; users: number } {
  const grant = parseFeature(text);
  if (grant.users === null) throw new LictorError('LICTOR_E_INVALID_INPUT', `--users ${text}: use --users CODE=N`);
  return { code: grant.code, users: grant.users };
}

function changesFrom(opts: UpgradeCommandOptions): UpgradeChanges {
  if (opts.extendDays && opts.expires) {
    throw new LictorError('LICTOR_E_INVALID_INPUT', 'use either --extend-days or --expires, not both');
  }
  return {
    ...(opts.addFeature ? { addFeatures: opts.addFeature.map(parseFeature) } : {}),
    ...(opts.users ? { users: opts.users.map(usersChange) } : {}),
    ...(opts.extendDays ? { extendDays: opts.extendDays } : {}),
    ...(opts.expires ? { expiresAt: expiryFrom(opts.expires) } : {}),
  };
}

/** Registers the upgrade commands under `lictor center`. */
export function registerCenterUpgrade(center: Command, io: Io): void {
  center
    .command('upgrade <question>')
    .description("answer a container's upgrade question with an upgrade file")
    .option('--add-feature <code[=users]>', 'add a feature, with an optional user count (repeatable)', collect)
    .option('--users <code=n>', 'change the user count of a granted feature (repeatable)', collect)
    .option('--extend-days <n>', 'extend the time limit by N days', positiveInt)
    .option('--expires <date>', 'set the time limit (YYYY-MM-DD, valid through that day, UTC)')
    .requiredOption('--out <file>', 'where to write the upgrade file')
    .addOption(dataOption())
    .option('--json', 'print JSON')
    .action(async (questionFile: string, opts: UpgradeCommandOptions) => {
      const question = await readInputFile(questionFile);
      const changes = changesFrom(opts);
      await withCenter(opts.data, io, async (c) => {
        const answered = await c.answerUpgrade(question, changes);
        await writeFileAtomic(opts.out as string, answered.answer);
        if (opts.json) return io.out(JSON.stringify({ ...answered, file: opts.out }));
        io.out(
          `Upgrade ${answered.upgradeId}: container ${answered.containerId} from state ${answered.fromCounter} to ${answered.toCounter}`,
        );
        io.out(
          `upgrade file: ${opts.out} (the customer runs: lictor upgrade continue ${opts.out}); pending until confirmed`,
        );
      });
    });

  center
    .command('confirm <code>')
    .description("record the customer's confirmation code of an applied upgrade")
    .addOption(dataOption())
    .option('--json', 'print JSON')
    .action(async (code: string, opts: { data?: string; json?: boolean }) => {
      await withCenter(opts.data, io, async (c) => {
        const confirmed = await c.confirmUpgrade(code);
        if (opts.json) return io.out(JSON.stringify(confirmed));
        io.out(
          `Upgrade ${confirmed.upgradeId} confirmed: container ${confirmed.containerId} is in state ${confirmed.counter}`,
        );
      });
    });

  center
    .command('upgrades')
    .description('list remote upgrades and whether they are confirmed')
    .option('--serial <serial>', 'only this package')
    .option('--status <status>', 'pending, confirmed or superseded')
    .addOption(dataOption())
    .option('--json', 'print JSON')
    .action(async (opts: { serial?: string; status?: string; data?: string; json?: boolean }) => {
      await withCenter(opts.data, io, async (c) => {
        const list = await c.listUpgrades({
          ...(opts.serial ? { serial: opts.serial } : {}),
          ...(opts.status ? { status: opts.status } : {}),
        });
        if (opts.json) return io.out(JSON.stringify(list));
        if (list.length === 0) io.out('no upgrades');
        for (const u of list) {
          io.out(
            `${u.id}\t${u.status}\t${u.serial}\tcontainer ${u.containerId}\t${u.fromCounter}→${u.toCounter}\t${u.createdAt}${u.confirmedAt ? `\tconfirmed ${u.confirmedAt}` : ''}`,
          );
        }
      });
    });
}
