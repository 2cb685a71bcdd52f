import { formatGiB, LictorError, TOKEN_KEY_LABEL } from '@lictor/protocol';
import { collectHardware, type Licensing, writeFileAtomic } from '@lictor/sdk';
import type { Command } from 'commander';
import { type Io, withProgress } from '../io.js';
import { addOwnerOptions, centerUrl, ownerFrom, readInputFile, timeoutOption, withTimeoutHint } from '../options.js';
import { addClientOptions, type ClientOptions, withLicensing } from './licensing.js';
import { registerStatus } from './status.js';
import {
  addTokenOptions,
  checkBindToken,
  type TokenCliOptions,
  tokenOptionsFrom,
  tokenPinFor,
  tokenSelectorFrom,
} from './token.js';

interface ActivateOptions extends ClientOptions, TokenCliOptions {
  bindToken?: boolean;
  networkToken?: boolean;
  manager?: string;
  module?: string;
  center?: string;
  timeout: number;
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
  const center = centerUrl(opts.center);
  const result = await withProgress(
    io,
    `activating at the License Center ${center} (waiting up to ${opts.timeout} s; --timeout to change)`,
    () =>
      withTimeoutHint(() =>
        licensing.activate({
          center,
          serial: opts.serial,
          pin: opts.pin,
          owner: ownerFrom(opts),
          timeoutMs: opts.timeout * 1000,
          ...(opts.bindToken ? { bindToken: tokenSelectorFrom(opts) } : {}),
          ...(opts.networkToken ? { networkToken: networkTokenFrom(opts) } : {}),
        }),
      ),
    opts.json,
  );
  if (opts.json) return io.out(JSON.stringify(result));
  io.out(
    `${result.reactivated ? 'Reactivated' : 'Activated'} serial ${result.serial} (activation ${result.activationId})`,
  );
  if (result.token?.manager !== undefined) {
    io.out(
      `bound to the hardware token ${result.token.manufacturer} ${result.token.model}, serial ${result.token.serial} on the License Manager ${result.token.manager} (key '${TOKEN_KEY_LABEL}' ${result.token.keyGenerated ? 'generated on the token now' : 'already on the token'}): the license works on any computer that reaches it`,
    );
  } else if (result.token) {
    io.out(
      `bound to hardware token ${result.token.manufacturer} ${result.token.model}, serial ${result.token.serial} (key '${TOKEN_KEY_LABEL}' ${result.token.keyGenerated ? 'generated on the token now' : 'already on the token'})`,
    );
  }
  io.out(`license file: ${result.file}`);
}

/** The SDK's `networkToken` of `--network-token [--manager URL] [--token-serial S]`. */
function networkTokenFrom(opts: ActivateOptions): { manager?: string; token?: string } {
  return {
    ...(opts.manager === undefined ? {} : { manager: opts.manager }),
    ...(opts.tokenSerial === undefined ? {} : { token: opts.tokenSerial }),
  };
}

/** Refuses `--network-token` where it cannot apply, and `--manager` without it. */
function checkNetworkToken(opts: ActivateOptions): void {
  if (opts.manager !== undefined && !opts.networkToken) {
    throw new LictorError('LICTOR_E_INVALID_INPUT', '--manager goes with --network-token');
  }
  if (!opts.networkToken) return;
  if (opts.bindToken) {
    throw new LictorError(
      'LICTOR_E_INVALID_INPUT',
      '--bind-token binds to a token plugged in here, --network-token to one on a License Manager: give one of them',
    );
  }
  if (opts.offline) {
    throw new LictorError(
      'LICTOR_E_INVALID_INPUT',
      '--network-token works with online activation (--center URL): the License Manager signs it',
    );
  }
}

/** Registers the end-user commands. Returns nothing; `check` sets the exit code through `exit`. */
export function registerClient(program: Command, io: Io, exit: (code: number) => void): void {
  program
    .command('fingerprint')
    .description("this computer's key hardware parameters, as the SDK sees them")
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const hw = await withProgress(
        io,
        "reading this computer's hardware",
        () => (io.hardware ?? collectHardware)(),
        opts.json,
      );
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
          .addOption(timeoutOption('the License Center'))
          .option('--offline', 'make a request for a computer without network access, instead of activating online')
          .option('--out <file>', 'with --offline: write the request file here (default: print it)')
          .option('--code', 'with --offline: print a short code to read or type instead of a file')
          .option('--product <code>', 'with --offline: the product the request is for (checked by the center)')
          .requiredOption('--serial <serial>', 'serial number of the package')
          .requiredOption('--pin <pin>', 'one of the PIN codes of the package'),
      )
        .option(
          '--bind-token',
          'bind the license to a hardware token (a dongle) instead of this computer: the one --token-label/--token-serial name',
        )
        .option('--module <lib>', 'with --bind-token: the PKCS#11 module (same as --token-module)')
        .option(
          '--network-token',
          "bind the license to a hardware token plugged into a License Manager's host (a network dongle; --token-serial names it when the manager serves several)",
        )
        .option(
          '--manager <url>',
          'with --network-token: the License Manager (default: lictor.ini, then LICTOR_MANAGER)',
        ),
    ),
  ).action(async (opts: ActivateOptions) => {
    if (opts.center !== undefined) centerUrl(opts.center);
    checkBindToken(opts);
    checkNetworkToken(opts);
    const pin = opts.bindToken ? await tokenPinFor(opts.tokenPinFile, io) : undefined;
    // With --network-token, --token-serial names the manager's dongle, not a token plugged in here.
    const { tokenSerial: _dongle, ...rest } = opts;
    const local = opts.networkToken ? rest : opts;
    const tokens = tokenOptionsFrom({ ...local, tokenModule: opts.module ?? opts.tokenModule }, pin);
    await withLicensing(io, opts, (licensing) => activate(io, licensing, opts), { tokens });
  });

  registerStatus(program, io, exit);

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
      .requiredOption('--center <url>', 'License Center address')
      .addOption(timeoutOption('the License Center')),
  ).action(async (opts: ClientOptions & { center: string; timeout: number }) => {
    const center = centerUrl(opts.center);
    const result = await withLicensing(io, opts, (licensing) =>
      withProgress(
        io,
        `downloading the blacklist from ${center} (waiting up to ${opts.timeout} s; --timeout to change)`,
        () => withTimeoutHint(() => licensing.refreshBlacklist(center, { timeoutMs: opts.timeout * 1000 })),
        opts.json,
      ),
    );
    if (opts.json) return io.out(JSON.stringify(result));
    io.out(
      `blacklist sequence ${result.sequence} (issued ${result.issuedAt}): ${result.serials} serials, ${result.activations} activations → ${result.file}`,
    );
  });
}
