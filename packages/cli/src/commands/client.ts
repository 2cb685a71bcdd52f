import { formatGiB, LictorError, TOKEN_KEY_LABEL } from '@lictor/protocol';
import { collectHardware, type Licensing, writeFileAtomic } from '@lictor/sdk';
import { type Command, Option } from 'commander';
import type { Io } from '../io.js';
import { addOwnerOptions, ownerFrom, readInputFile } from '../options.js';
import { addClientOptions, type ClientOptions, withLicensing } from './licensing.js';
import {
  addTokenOptions,
  checkBindToken,
  type TokenCliOptions,
  tokenName,
  tokenOptionsFrom,
  tokenPinFor,
  tokenSelectorFrom,
} from './token.js';

interface ActivateOptions extends ClientOptions, TokenCliOptions {
  bindToken?: boolean;
  module?: string;
  tokenLabel?: string;
  tokenSerial?: string;
  center?: string;
  offline?: boolean;
  out?: string;
  code?: boolean;
  product?: string;
  serial: string;
  pin: string;
  company?: string;
  email?: string;
  owner?: string[];
}

async function requestOffline(io: Io, licensing: Licensing, opts: ActivateOptions): Promise<void> {
  const request = await licensing.requestOffline(
    { serial: opts.serial, pin: opts.pin, owner: ownerFrom(opts), ...(opts.product ? { product: opts.product } : {}) },
    opts.code ? 'code' : 'file',
  );
  if (opts.out) await writeFileAtomic(opts.out, request.text);
  if (opts.json) return io.out(JSON.stringify({ ...request, ...(opts.out ? { file: opts.out } : {}) }));
  if (opts.code) {
    io.out('Request code (read or send it to the vendor; the last character of each group is a check character):');
    io.out(request.text);
    io.out(`Then install the answer with: lictor install --code '<answer code>'   (request ${request.id})`);
    return;
  }
  if (opts.out) io.out(`Request written to ${opts.out} (request ${request.id}).`);
  else io.out(request.text);
  io.out("Send it to the vendor's Licensing Center, then install the answer with: lictor install <license file>");
}

async function activate(io: Io, licensing: Licensing, opts: ActivateOptions): Promise<void> {
  if (opts.offline) return requestOffline(io, licensing, opts);
  if (!opts.center) {
    throw new LictorError(
      'LICTOR_E_INVALID_INPUT',
      'give --center URL to activate online, or --offline to make a request file or code for the vendor',
    );
  }
  const result = await licensing.activate({
    center: opts.center,
    serial: opts.serial,
    pin: opts.pin,
    owner: ownerFrom(opts),
    ...(opts.bindToken ? { bindToken: tokenSelectorFrom(opts) } : {}),
  });
  if (opts.json) return io.out(JSON.stringify(result));
  io.out(
    `${result.reactivated ? 'Reactivated' : 'Activated'} serial ${result.serial} (activation ${result.activationId})`,
  );
  if (result.token) {
    io.out(
      `bound to hardware token ${result.token.manufacturer} ${result.token.model}, serial ${result.token.serial} (key '${TOKEN_KEY_LABEL}' ${result.token.keyGenerated ? 'generated on the token now' : 'already on the token'})`,
    );
  }
  io.out(`license file: ${result.file}`);
}

/** Registers the end-user commands. Returns nothing; `check` sets the exit code through `exit`. */
export function registerClient(program: Command, io: Io, exit: (code: number) => void): void {
  program
    .command('fingerprint')
    .description("this computer's key hardware parameters, as the SDK sees them")
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const hw = await (io.hardware ?? collectHardware)();
      if (opts.json) return io.out(JSON.stringify(hw, null, 2));
      io.out(`platform:  ${hw.platform}`);
      io.out(`os:        ${hw.osName} ${hw.osVersion}`);
      io.out(`host name: ${hw.hostname}`);
      io.out(`board:     ${hw.board || '(unknown)'}`);
      io.out(`RAM:       ${formatGiB(hw.ramBytes)} (${hw.ramBytes} bytes)`);
      io.out(`BIOS:      ${hw.bios || '(unknown)'}`);
      for (const cpu of hw.cpus) io.out(`processor: ${cpu}`);
      for (const mac of hw.nics) io.out(`network:   ${mac}`);
      for (const disk of hw.disks) io.out(`disk:      ${disk}`);
    });

  addClientOptions(
    addTokenOptions(
      addOwnerOptions(
        program
          .command('activate')
          .description('activate with a serial number and PIN code: online, or --offline with a request file or code')
          .option('--center <url>', 'License Center address, e.g. http://127.0.0.1:8787 (online activation)')
          .option('--offline', 'make a request for a computer without network access, instead of activating online')
          .option('--out <file>', 'with --offline: write the request file here (default: print it)')
          .option('--code', 'with --offline: print a short code to read or type instead of a file')
          .option('--product <code>', 'with --offline: the product the request is for (checked by the center)')
          .requiredOption('--serial <serial>', 'serial number of the package')
          .requiredOption('--pin <pin>', 'one of the PIN codes of the package'),
      )
        .option('--bind-token', 'bind the license to a hardware token (a dongle) instead of this computer')
        .option('--module <lib>', 'with --bind-token: the PKCS#11 module (same as --token-module)')
        .option('--token-label <label>', 'with --bind-token: the token with this label')
        .option('--token-serial <serial>', "with --bind-token: the token with this serial number (the token's own)"),
    ),
  ).action(async (opts: ActivateOptions) => {
    checkBindToken(opts);
    const pin = opts.bindToken ? await tokenPinFor(opts.tokenPinFile, io) : undefined;
    const tokens = tokenOptionsFrom({ ...opts, tokenModule: opts.module ?? opts.tokenModule }, pin);
    await withLicensing(io, opts, (licensing) => activate(io, licensing, opts), { tokens });
  });

  addClientOptions(
    addTokenOptions(program.command('status').description('every license file found, and whether it is available')),
  ).action(async (opts: ClientOptions & TokenCliOptions) => {
    const { files, searchPaths } = await withLicensing(
      io,
      opts,
      async (licensing) => ({ files: licensing.status(), searchPaths: licensing.searchPaths }),
      { tokens: tokenOptionsFrom(opts) },
    );
    if (opts.json) return io.out(JSON.stringify({ searchPaths, files }, null, 2));
    io.out(`searched: ${searchPaths.join(', ')}`);
    if (files.length === 0) io.out('no license files found');
    for (const f of files) {
      const state = f.available ? (f.supersededBy ? 'superseded' : 'available') : `unavailable [${f.code}]`;
      io.out(`${f.path}: ${state}`);
      if (f.onToken) io.out(`  stored on the hardware token ${tokenName(f.onToken)}`);
      if (f.serial) io.out(`  serial ${f.serial}, issued ${f.issuedAt}`);
      for (const l of f.licenses ?? []) {
        const features = l.features.map((x) => (x.users === null ? x.code : `${x.code}=${x.users}`)).join(', ');
        io.out(
          `  ${l.product} (${l.type}${l.type === 'multi' ? `, ${l.users} users` : ''})${l.expiresAt ? ` until ${l.expiresAt}` : ''}${features ? `: ${features}` : ''}`,
        );
      }
      if (f.reason) io.out(`  ${f.reason}`);
    }
  });

  addClientOptions(
    addTokenOptions(
      program
        .command('check')
        .description('exit 0 when the product (or feature) is licensed here; otherwise say why')
        .requiredOption('--product <code>', 'product code')
        .option('--feature <code>', 'feature code')
        .addOption(
          new Option('--role <role>', 'check as a client application or as a server process (default client)').choices([
            'client',
            'server',
          ]),
        )
        .addOption(
          new Option('--bitness <bits>', 'bitness of the checking process (default: this process)').choices([
            '32',
            '64',
          ]),
        ),
    ),
  ).action(
    async (
      opts: ClientOptions &
        TokenCliOptions & { product: string; feature?: string; role?: 'client' | 'server'; bitness?: string },
    ) => {
      const result = await withLicensing(io, opts, async (licensing) => licensing.check(opts.feature), {
        product: opts.product,
        tokens: tokenOptionsFrom(opts),
        role: opts.role,
        bitness: opts.bitness === undefined ? undefined : (Number(opts.bitness) as 32 | 64),
      });
      if (opts.json) io.out(JSON.stringify(result));
      else if (result.ok) {
        io.out(
          `licensed: ${result.product}${result.feature ? `/${result.feature}` : ''} (serial ${result.serial}${result.expiresAt ? `, until ${result.expiresAt}` : ''})`,
        );
      } else io.err(`not licensed [${result.code}]: ${result.reason}`);
      if (!result.ok) exit(1);
    },
  );

  addClientOptions(
    program
      .command('install [file]')
      .description("install the vendor's answer to an offline request: a license file, or --code")
      .option('--code <code>', 'the answer code, as read or received'),
  ).action(async (file: string | undefined, opts: ClientOptions & { code?: string }) => {
    if ((file === undefined) === (opts.code === undefined)) {
      throw new LictorError('LICTOR_E_INVALID_INPUT', 'give either the answer file or --code CODE');
    }
    const answer = opts.code !== undefined ? { code: opts.code } : { file: await readInputFile(file as string) };
    const installed = await withLicensing(io, opts, (licensing) => licensing.install(answer));
    if (opts.json) return io.out(JSON.stringify(installed));
    io.out(
      `Installed serial ${installed.serial} (request ${installed.requestId}, activation ${installed.activationId})`,
    );
    io.out(`license file: ${installed.file}`);
  });

  const requests = addClientOptions(
    program.command('requests').description('offline requests made on this computer, and their state'),
  ).action(async (opts: ClientOptions) => {
    const { list, storeDir } = await withLicensing(io, opts, async (licensing) => ({
      list: await licensing.requests(),
      storeDir: licensing.storeDir,
    }));
    if (opts.json) return io.out(JSON.stringify(list.map(({ hardware: _h, ...r }) => r)));
    if (list.length === 0) io.out(`no offline requests in ${storeDir}`);
    for (const r of list) {
      io.out(
        `${r.id}\t${r.status}\t${r.kind}\tserial ${r.serial}\tmade ${r.createdAt}${r.installedAt ? `\tinstalled ${r.installedAt}` : ''}`,
      );
    }
  });
  addClientOptions(requests.command('cancel <id>').description('cancel a pending request')).action(
    async (id: string, _opts: ClientOptions, cmd: Command) => {
      // `requests` has the same options, and commander gives them to the parent when both match.
      const opts = cmd.optsWithGlobals<ClientOptions>();
      const cancelled = await withLicensing(io, opts, (licensing) => licensing.cancelRequest(id));
      io.out(opts.json ? JSON.stringify({ id: cancelled.id, status: cancelled.status }) : `request ${id} cancelled`);
    },
  );
}

/** Registers `lictor blacklist`. */
export function registerBlacklist(program: Command, io: Io): void {
  addClientOptions(
    program
      .command('blacklist')
      .description("download the vendor's signed blacklist, so that blacklisted licenses stop working here")
      .requiredOption('--center <url>', 'License Center address'),
  ).action(async (opts: ClientOptions & { center: string }) => {
    const result = await withLicensing(io, opts, (licensing) => licensing.refreshBlacklist(opts.center));
    if (opts.json) return io.out(JSON.stringify(result));
    io.out(`blacklist: ${result.serials} serials, ${result.activations} activations → ${result.file}`);
  });
}
