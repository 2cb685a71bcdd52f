/** `lictor center ...`: the vendor's License Center, on its data directory. */

import type { Center, InitCenterResult, RateLimitOptions, RequestPreview } from '@lictor/center';
import { LICENSE_TYPES, type LicenseType, LictorError } from '@lictor/protocol';
import { writeFileAtomic } from '@lictor/sdk';
import { type Command, Option } from 'commander';
import { loadCenter } from '../deployables.js';
import { type Io, untilStopped } from '../io.js';
import {
  addOwnerOptions,
  centerDataDir,
  collect,
  expiryFrom,
  logLevelOption,
  ownerFrom,
  parseFeature,
  port,
  positiveInt,
  readInputFile,
  wholeNumber,
} from '../options.js';
import { dataOption, withCenter } from './center-data.js';
import { registerCenterToken } from './center-token.js';
import { registerCenterUpgrade } from './center-upgrade.js';

interface ServeOptions {
  data?: string;
  port: number;
  host: string;
  init?: boolean;
  logLevel: string;
  requestMaxAgeDays?: number;
  clientRateLimit?: number;
  serialRateLimit?: number;
}

/** `--client-rate-limit` and `--serial-rate-limit` as the center's rate limits (`0`: off). */
function rateLimitsFrom(opts: ServeOptions): { rateLimits?: RateLimitOptions } {
  const limit = (perMinute: number | undefined, burstFactor: number) =>
    perMinute === undefined ? undefined : perMinute === 0 ? null : { burst: perMinute * burstFactor, perMinute };
  const perClient = limit(opts.clientRateLimit, 1);
  const refusalsPerSerial = limit(opts.serialRateLimit, 2);
  if (perClient === undefined && refusalsPerSerial === undefined) return {};
  return {
    rateLimits: {
      ...(perClient === undefined ? {} : { perClient }),
      ...(refusalsPerSerial === undefined ? {} : { refusalsPerSerial }),
    },
  };
}

interface AnswerOptions {
  out?: string;
  preview?: boolean;
  code?: string;
  company?: string;
  email?: string;
  owner?: string[];
  maxAgeDays?: number;
  data?: string;
  json?: boolean;
}

function describePreview(p: RequestPreview): string {
  const features = p.features.map((f) => (f.users === null ? f.code : `${f.code}=${f.users}`)).join(', ');
  return [
    `serial ${p.serial}, PIN ${p.pinIndex}${p.reactivation ? ' (reactivation)' : ''}`,
    `product ${p.product} (${p.productName}), ${p.type}${p.type === 'multi' ? `, ${p.users} users` : ''}${features ? `: ${features}` : ''}`,
    `expires ${p.expiresAt ?? 'never'}`,
    `owner ${Object.entries(p.owner)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}${p.hostname ? `; computer ${p.hostname}` : ''}; requested ${p.createdAt}`,
  ].join('\n');
}

function printInit(io: Io, result: InitCenterResult): void {
  io.out(`License Center initialized in ${result.dataDir}`);
  io.out(`  vendor public key: ${result.publicKey}`);
  printAdminToken(io, result.adminToken);
}

function printAdminToken(io: Io, adminToken: string): void {
  io.out(`  admin API token (shown once, keep it secret): ${adminToken}`);
}

/** Registers `lictor center` and its subcommands. */
export function registerCenter(program: Command, io: Io): void {
  const center = program.command('center').description("the vendor's License Center");

  center
    .command('init')
    .description('create the signing keys, the database and an admin token')
    .addOption(dataOption())
    .option('--json', 'print JSON')
    .action(async (opts: { data?: string; json?: boolean }) => {
      const { initCenter } = await loadCenter();
      const result = await initCenter(centerDataDir(opts.data, io.env));
      if (opts.json) {
        const { adminToken, publicKey, dataDir } = result;
        return io.out(JSON.stringify({ dataDir, publicKey, adminToken }));
      }
      printInit(io, result);
    });

  center
    .command('public-key')
    .description('print the vendor public key that applications embed')
    .addOption(dataOption())
    .option('--json', 'print JSON')
    .action(async (opts: { data?: string; json?: boolean }) => {
      await withCenter(opts.data, io, async (c) =>
        io.out(opts.json ? JSON.stringify({ publicKey: c.publicKey.text }) : c.publicKey.text),
      );
    });

  const product = center.command('product').description('products and their features');
  product
    .command('add <code>')
    .description('define a product')
    .requiredOption('--name <name>', 'display name')
    .option('--feature <code>', 'a component/option of the product (repeatable)', collect)
    .option('--require <field>', 'owner field required at activation (repeatable; default company, email)', collect)
    .addOption(dataOption())
    .option('--json', 'print JSON')
    .action(
      async (
        code: string,
        opts: { name: string; feature?: string[]; require?: string[]; data?: string; json?: boolean },
      ) => {
        await withCenter(opts.data, io, async (c) => {
          const added = await c.addProduct({
            code,
            name: opts.name,
            features: (opts.feature ?? []).map((f) => ({ code: f })),
            ...(opts.require ? { requiredOwnerFields: opts.require } : {}),
          });
          io.out(opts.json ? JSON.stringify(added) : `product ${code} added`);
        });
      },
    );
  product
    .command('list')
    .description('list products')
    .addOption(dataOption())
    .option('--json', 'print JSON')
    .action(async (opts: { data?: string; json?: boolean }) => {
      await withCenter(opts.data, io, async (c) => {
        const products = await c.listProducts();
        if (opts.json) return io.out(JSON.stringify(products));
        for (const p of products) {
          const features = p.features.map((f) => f.code).join(', ');
          io.out(`${p.code}\t${p.name}${features ? `\tfeatures: ${features}` : ''}`);
        }
      });
    });

  center
    .command('issue')
    .description('issue a package: a serial number and its PIN codes')
    .requiredOption('--product <code>', 'product code')
    .addOption(new Option('--type <type>', 'license type').choices([...LICENSE_TYPES]).makeOptionMandatory())
    .option('--users <n>', 'client applications of a multi-user license', positiveInt)
    .option('--sessions <n>', 'concurrent sessions of a server-sessions license', positiveInt)
    .addOption(new Option('--arch <arch>', 'server architecture').choices(['x86', 'x64']))
    .option('--feature <code[=users]>', 'a feature granted, with an optional user count (repeatable)', collect)
    .option('--expires <date>', 'valid through this date (YYYY-MM-DD, UTC)')
    .option('--days <n>', 'valid for N days from activation', positiveInt)
    .option('--pins <n>', 'number of PIN codes', positiveInt)
    .option('--max-active <n>', 'PIN codes that may be active at once', positiveInt)
    .addOption(
      new Option('--policy <policy>', 'software-dongle: activated once, never reactivated or transferred')
        .choices(['standard', 'software-dongle'])
        .default('standard'),
    )
    .addOption(dataOption())
    .option('--json', 'print JSON')
    .action(
      async (opts: {
        product: string;
        type: LicenseType;
        users?: number;
        sessions?: number;
        arch?: 'x86' | 'x64';
        feature?: string[];
        expires?: string;
        days?: number;
        pins?: number;
        maxActive?: number;
        policy: 'standard' | 'software-dongle';
        data?: string;
        json?: boolean;
      }) => {
        if (opts.expires && opts.days) {
          throw new LictorError('LICTOR_E_INVALID_INPUT', 'use either --expires or --days, not both');
        }
        await withCenter(opts.data, io, async (c) => {
          const issued = await c.issuePackage({
            product: opts.product,
            type: opts.type,
            ...(opts.users ? { users: opts.users } : {}),
            ...(opts.sessions ? { sessions: opts.sessions } : {}),
            ...(opts.arch ? { arch: opts.arch } : {}),
            ...(opts.feature ? { features: opts.feature.map(parseFeature) } : {}),
            ...(opts.expires ? { expiresAt: expiryFrom(opts.expires) } : {}),
            ...(opts.days ? { days: opts.days } : {}),
            ...(opts.pins ? { pins: opts.pins } : {}),
            ...(opts.maxActive ? { maxActive: opts.maxActive } : {}),
            policy: opts.policy,
          });
          if (opts.json) return io.out(JSON.stringify(issued));
          io.out(`serial: ${issued.serial}`);
          for (const pin of issued.pins)
            io.out(`pin ${pin.index}: ${pin.pin}${pin.kind === 'multi' ? ' (multi-user)' : ''}`);
          io.out('The PIN codes are shown only now: the center keeps only their hashes.');
        });
      },
    );

  addOwnerOptions(
    center
      .command('answer [request]')
      .description('answer an offline request: a request file gives a license file, --code gives an answer code')
      .option('--out <file>', 'write the license file here (default: print it)')
      .option('--preview', 'show what would be licensed and change nothing')
      .option('--code <code>', "a request code, as read or typed from the customer's computer"),
    'with --code: ',
  )
    .option('--max-age-days <n>', 'refuse requests older than this (default 30)', positiveInt)
    .addOption(dataOption())
    .option('--json', 'print JSON')
    .action(async (requestFile: string | undefined, opts: AnswerOptions) => {
      if ((requestFile === undefined) === (opts.code === undefined)) {
        throw new LictorError('LICTOR_E_INVALID_INPUT', 'give either the request file or --code CODE');
      }
      const options = opts.maxAgeDays ? { requestMaxAgeDays: opts.maxAgeDays } : {};
      await withCenter(
        opts.data,
        io,
        async (c) => {
          if (opts.code !== undefined) {
            const answered = await c.answerRequestCode(opts.code, ownerFrom(opts));
            if (opts.json) return io.out(JSON.stringify(answered));
            io.out(
              `${answered.reactivated ? 'Reactivated' : 'Activated'} serial ${answered.preview.serial} (activation ${answered.activationId})`,
            );
            io.out('Answer code (read or send it to the customer; they run: lictor install --code <answer code>):');
            io.out(answered.answer);
            return;
          }
          const text = await readInputFile(requestFile as string);
          if (opts.preview) {
            const preview = await c.previewRequest(text);
            return io.out(opts.json ? JSON.stringify(preview) : describePreview(preview));
          }
          const answered = await c.answerRequest(text);
          if (opts.out) await writeFileAtomic(opts.out, answered.license);
          if (opts.json) return io.out(JSON.stringify({ ...answered, ...(opts.out ? { file: opts.out } : {}) }));
          if (!opts.out) return io.out(answered.license);
          io.out(
            `${answered.reactivated ? 'Reactivated' : 'Activated'} serial ${answered.preview.serial} (activation ${answered.activationId})`,
          );
          io.out(describePreview(answered.preview));
          io.out(
            `license file: ${opts.out} (send it to the customer, who installs it with: lictor install <the file, where they saved it>)`,
          );
        },
        options,
      );
    });

  registerCenterUpgrade(center, io);
  registerCenterToken(center, io);

  center
    .command('admin-token')
    .description("issue a new admin API token on the center's host (the old one stops working at the next start)")
    .addOption(dataOption())
    .option('--json', 'print JSON')
    .action(async (opts: { data?: string; json?: boolean }) => {
      const { reissueAdminToken } = await loadCenter();
      const reissued = await reissueAdminToken(centerDataDir(opts.data, io.env));
      if (opts.json) return io.out(JSON.stringify(reissued));
      io.out(`New admin API token for the License Center in ${reissued.dataDir}`);
      printAdminToken(io, reissued.adminToken);
      io.out('  A running center keeps accepting the old token until it is restarted (lictor center serve).');
    });

  center
    .command('serve')
    .description('run the License Center over HTTP (activation web service and admin API)')
    .addOption(dataOption())
    .option('--port <n>', 'TCP port (0: any free port)', port, 8787)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--init', 'initialize the data directory first when it is empty')
    .option('--request-max-age-days <n>', 'refuse offline requests older than this (default 30)', positiveInt)
    .option(
      '--client-rate-limit <n>',
      'activation and offline requests per minute per client address (default 30; 0: no limit)',
      wholeNumber,
    )
    .option('--serial-rate-limit <n>', 'refused attempts per minute per serial (default 5; 0: no limit)', wholeNumber)
    .addOption(logLevelOption())
    .action(async (opts: ServeOptions) => {
      const { buildCenterServer, initCenter, listenCenterServer, openCenter } = await loadCenter();
      const dir = centerDataDir(opts.data, io.env);
      const options = {
        ...(opts.requestMaxAgeDays ? { requestMaxAgeDays: opts.requestMaxAgeDays } : {}),
        ...rateLimitsFrom(opts),
      };
      let c: Center;
      let initialized: InitCenterResult | undefined;
      try {
        c = await openCenter(dir, options);
      } catch (err) {
        if (!(opts.init && err instanceof LictorError && err.code === 'LICTOR_E_CENTER_NOT_INITIALIZED')) throw err;
        initialized = await initCenter(dir);
        c = await openCenter(dir, options);
      }
      const server = await buildCenterServer(c, { logger: { level: opts.logLevel, stream: process.stderr } });
      let address: string;
      try {
        address = await listenCenterServer(server, { port: opts.port, host: opts.host });
      } catch (err) {
        await server.close();
        await c.close();
        // The new admin token is shown only by a center that runs, and a later start of this
        // (now initialized) directory does not show it: say how to get one.
        if (initialized && err instanceof LictorError) {
          throw new LictorError(
            err.code,
            `${err.message}. The center was initialized in ${dir}, but its admin token was not shown: get one with 'lictor center admin-token --data ${dir}'`,
            err.details,
          );
        }
        throw err;
      }
      // Printed only now that the center runs: a failed start never loses the one-time token.
      if (initialized) {
        io.out(`License Center initialized in ${initialized.dataDir}`);
        printAdminToken(io, initialized.adminToken);
      }
      io.out(`License Center (${c.databaseKind}) listening on ${address}  data: ${dir}`);
      io.out(`  vendor public key: ${c.publicKey.text}`);
      await untilStopped(io);
      await server.close();
      await c.close();
    });
}
