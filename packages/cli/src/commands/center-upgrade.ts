import type { AddedProduct, AnsweredUpgrade, UpgradeChanges } from '@lictor/center';
import { type IssuedLicenseType, LictorError, type ServerArch } from '@lictor/protocol';
import { writeFileAtomic } from '@lictor/sdk';
import type { Command } from 'commander';
import { loadCenter } from '../deployables.js';
import type { Io } from '../io.js';
import { collect, expiryFrom, parseFeature, positiveInt, readInputFile } from '../options.js';
import { dataOption, withCenter } from './center-data.js';

interface UpgradeCommandOptions {
  product?: string;
  addFeature?: string[];
  removeFeature?: string[];
  users?: string[];
  extendDays?: number;
  expires?: string;
  expireNow?: boolean;
  type?: string;
  arch?: string;
  sessions?: number;
  addProduct?: string[];
  addProductDays?: number;
  dryRun?: boolean;
  out?: string;
  data?: string;
  json?: boolean;
}

function usersChange(text: string): { code: string; users: number } {
  const grant = parseFeature(text);
  if (grant.users === null) throw new LictorError('LICTOR_E_INVALID_INPUT', `--users ${text}: use --users CODE=N`);
  return { code: grant.code, users: grant.users };
}

/** `--add-product PRODUCT:TYPE[:N]`: N is the users of a multi-user, the sessions of a server-sessions license. */
function addedProduct(text: string, days: number | undefined): AddedProduct {
  const [product = '', type = '', n, extra] = text.split(':');
  const count = n === undefined ? undefined : Number(n);
  if (product === '' || type === '' || extra !== undefined || (count !== undefined && !Number.isSafeInteger(count))) {
    throw new LictorError(
      'LICTOR_E_INVALID_INPUT',
      `--add-product ${text}: use PRODUCT:TYPE[:N], e.g. reports:multi:10 (N: users of multi, sessions of server-sessions)`,
    );
  }
  return {
    product,
    type: type as IssuedLicenseType,
    ...(count === undefined ? {} : type === 'server-sessions' ? { sessions: count } : { users: count }),
    ...(days === undefined ? {} : { days }),
  };
}

function changesFrom(opts: UpgradeCommandOptions): UpgradeChanges {
  const times = [opts.extendDays && '--extend-days', opts.expires && '--expires', opts.expireNow && '--expire-now'];
  const given = times.filter((x): x is string => typeof x === 'string');
  if (given.length > 1) {
    throw new LictorError(
      'LICTOR_E_INVALID_INPUT',
      `use one of --extend-days, --expires or --expire-now, not ${given.join(' and ')}`,
    );
  }
  if (opts.addProductDays !== undefined && !opts.addProduct) {
    throw new LictorError('LICTOR_E_INVALID_INPUT', '--add-product-days applies to --add-product');
  }
  return {
    ...(opts.product ? { product: opts.product } : {}),
    ...(opts.addFeature ? { addFeatures: opts.addFeature.map(parseFeature) } : {}),
    ...(opts.removeFeature ? { removeFeatures: opts.removeFeature } : {}),
    ...(opts.users ? { users: opts.users.map(usersChange) } : {}),
    ...(opts.extendDays ? { extendDays: opts.extendDays } : {}),
    ...(opts.expires ? { expiresAt: expiryFrom(opts.expires) } : {}),
    ...(opts.expireNow ? { expireNow: true } : {}),
    ...(opts.type ? { type: opts.type as IssuedLicenseType } : {}),
    ...(opts.arch ? { arch: opts.arch as ServerArch } : {}),
    ...(opts.sessions ? { sessions: opts.sessions } : {}),
    ...(opts.addProduct ? { addProducts: opts.addProduct.map((p) => addedProduct(p, opts.addProductDays)) } : {}),
  };
}

/** The preview: every change, then the license before and after. */
async function printSummary(io: Io, { summary }: Pick<AnsweredUpgrade, 'summary'>): Promise<void> {
  const { describeEntry, describeUpgrade } = await loadCenter();
  io.out('changes:');
  for (const line of describeUpgrade(summary)) io.out(`  ${line}`);
  io.out(`before: ${describeEntry(summary.before)}`);
  io.out(`after:  ${describeEntry(summary.after)}`);
  for (const e of summary.added) io.out(`added:  ${describeEntry(e)}`);
}

/** Registers the upgrade commands under `lictor center`. */
export function registerCenterUpgrade(center: Command, io: Io): void {
  center
    .command('upgrade <question>')
    .description("answer a container's upgrade question with an upgrade file")
    .option('--product <code>', "the product whose license changes (default: the package's)")
    .option('--add-feature <code[=users]>', 'add a feature, with an optional user count (repeatable)', collect)
    .option('--remove-feature <code>', 'take a granted feature away (repeatable)', collect)
    .option(
      '--users <code=n>',
      'set the user count (higher or lower) of a granted feature, or * for the license (repeatable)',
      collect,
    )
    .option('--extend-days <n>', 'extend the time limit by N days', positiveInt)
    .option('--expires <date>', 'set the time limit, earlier or later (YYYY-MM-DD, valid through that day, UTC)')
    .option('--expire-now', 'end the license now')
    .option('--type <type>', 'change the license type (only single → multi, with --users *=N)')
    .option('--arch <arch>', "change a server license's architecture (x86 or x64)")
    .option('--sessions <n>', "change a server-sessions license's sessions", positiveInt)
    .option(
      '--add-product <product:type[:n]>',
      'add a license of another product (n: users or sessions; repeatable)',
      collect,
    )
    .option('--add-product-days <n>', 'validity of the added products in days (default perpetual)', positiveInt)
    .option('--out <file>', 'where to write the upgrade file (required unless --dry-run)')
    .option('--dry-run', 'show what the answer would change; write and record nothing')
    .addOption(dataOption())
    .option('--json', 'print JSON')
    .action(async (questionFile: string, opts: UpgradeCommandOptions) => {
      const question = await readInputFile(questionFile);
      const changes = changesFrom(opts);
      if (opts.dryRun) {
        return withCenter(opts.data, io, async (c) => {
          const preview = await c.previewUpgrade(question, changes);
          if (opts.json) return io.out(JSON.stringify(preview));
          io.out(
            `Preview (nothing written): container ${preview.containerId} from state ${preview.fromCounter} to ${preview.toCounter}`,
          );
          await printSummary(io, preview);
        });
      }
      if (opts.out === undefined) {
        throw new LictorError('LICTOR_E_INVALID_INPUT', 'give --out FILE for the upgrade file, or --dry-run');
      }
      await withCenter(opts.data, io, async (c) => {
        const answered = await c.answerUpgrade(question, changes);
        await writeFileAtomic(opts.out as string, answered.answer);
        if (opts.json) return io.out(JSON.stringify({ ...answered, file: opts.out }));
        io.out(
          `Upgrade ${answered.upgradeId}: container ${answered.containerId} from state ${answered.fromCounter} to ${answered.toCounter}`,
        );
        await printSummary(io, answered);
        io.out(
          `upgrade file: ${opts.out} (send it to the customer, who applies it with: lictor upgrade continue <the file, where they saved it>); pending until confirmed`,
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
