/**
 * The end user's hardware tokens: `lictor token list`, and the options that make `lictor status`,
 * `check` and `activate` use tokens (licenses stored on tokens, licenses bound to a token).
 */
import { LictorError, TOKEN_KEY_LABEL, TOKEN_LICENSE_LABEL } from '@lictor/protocol';
import type { TokenLocation, TokenOptions } from '@lictor/sdk';
import { openTokenModule, readTokenPin, type TokenDescription, type TokenPin, type TokenSelector } from '@lictor/token';
import type { Command } from 'commander';
import type { Io } from '../io.js';
import { positiveInt } from '../options.js';

/** Help of the options that name the PKCS#11 module. */
export const MODULE_HELP =
  'PKCS#11 module: a path or opensc, ykcs11, softhsm (default: LICTOR_PKCS11_MODULE, then the usual paths)';

/** Options of the commands that can include token licenses. */
export interface TokenCliOptions {
  tokens?: boolean;
  tokenModule?: string;
  tokenPinFile?: string;
  tokenLabel?: string;
  tokenSerial?: string;
  tokenPinShared?: boolean;
}

/** Adds `--tokens`, `--token-module`, `--token-pin-file`, and `--token-label`/`--token-serial` (whose PIN it is). */
export function addTokenOptions(cmd: Command): Command {
  return cmd
    .option('--tokens', 'include hardware token licenses (implied by --token-module and --token-pin-file)')
    .option('--token-module <lib>', MODULE_HELP)
    .option(
      '--token-pin-file <file>',
      "file whose first line is the token's user PIN (else LICTOR_TOKEN_PIN); given to the token named by --token-label or --token-serial, else to the only token plugged in (with several, to none)",
    )
    .option('--token-pin-shared', 'the PIN is shared by every token plugged in: give it to each one')
    .option('--token-label <label>', 'the token with this label: the PIN is never tried on another token')
    .option(
      '--token-serial <serial>',
      "the token with this serial number (the token's own): the PIN is never tried on another token",
    );
}

/** The SDK's `tokens` option from the command line; `undefined` when no token option was given. */
export function tokenOptionsFrom(opts: TokenCliOptions, pin?: TokenPin): TokenOptions | undefined {
  const pinToken = {
    ...(opts.tokenSerial === undefined ? {} : { serial: opts.tokenSerial }),
    ...(opts.tokenLabel === undefined ? {} : { label: opts.tokenLabel }),
  };
  const named = Object.keys(pinToken).length > 0;
  if (
    !opts.tokens &&
    opts.tokenModule === undefined &&
    opts.tokenPinFile === undefined &&
    !opts.tokenPinShared &&
    pin === undefined &&
    !named
  ) {
    return undefined;
  }
  return {
    ...(opts.tokenModule === undefined ? {} : { module: opts.tokenModule }),
    ...(pin !== undefined ? { pin } : opts.tokenPinFile === undefined ? {} : { pinFile: opts.tokenPinFile }),
    // A PIN (file or LICTOR_TOKEN_PIN) without its token named goes to the only token plugged in,
    // never to several, unless the user says that every token shares it.
    ...(named ? { pinToken } : opts.tokenPinShared ? {} : { pinToken: { sole: true } }),
  };
}

/** Options of a service that serves token licenses (`lictor manager serve`, `lictor runtime serve`). */
export interface ServeTokenCliOptions extends TokenCliOptions {
  tokenCheckMs?: number;
}

/** {@link addTokenOptions} and `--token-check-ms`, for the services that serve token licenses. */
export function addServeTokenOptions(cmd: Command): Command {
  return addTokenOptions(cmd).option(
    '--token-check-ms <n>',
    'with token options: how often each token proves its presence (default 3000)',
    positiveInt,
  );
}

/**
 * The `tokens` option of a service (hardware tokens plugged into its host) from the command line,
 * when a token option was given: the PIN from `--token-pin-file` or `LICTOR_TOKEN_PIN`, never
 * from the command line.
 */
export function serveTokenOptions(opts: ServeTokenCliOptions): { tokens?: TokenOptions } {
  const tokens = tokenOptionsFrom(opts);
  if (tokens === undefined) return {};
  return { tokens: opts.tokenCheckMs === undefined ? tokens : { ...tokens, intervalMs: opts.tokenCheckMs } };
}

/**
 * The token user PIN for a command that must log in (binding a license to a token): the PIN
 * file, `LICTOR_TOKEN_PIN`, else a prompt when a person is at a terminal.
 */
export function tokenPinFor(pinFile: string | undefined, io: Io): Promise<TokenPin> {
  const prompt = process.stdin.isTTY ? { input: process.stdin, output: process.stderr } : undefined;
  return readTokenPin({
    ...(pinFile === undefined ? {} : { pinFile }),
    env: io.env,
    ...(prompt === undefined ? {} : { prompt }),
  });
}

/** The token `--token-serial`, `--token-label` (and `--slot` where a command has it) select. */
export function tokenSelectorFrom(opts: { tokenSerial?: string; tokenLabel?: string; slot?: string }): TokenSelector {
  return {
    ...(opts.tokenSerial === undefined ? {} : { serial: opts.tokenSerial }),
    ...(opts.tokenLabel === undefined ? {} : { label: opts.tokenLabel }),
    ...(opts.slot === undefined ? {} : { slot: opts.slot }),
  };
}

/** How a token reads in the output: `"L1" (SoftHSM project SoftHSM v2, serial 24531b354ac747a6)`. */
export function tokenName(t: TokenLocation): string {
  return `"${t.label}" (${t.manufacturer} ${t.model}, serial ${t.serial})`;
}

/** A token as `lictor token list` shows it. */
interface ListedToken extends TokenDescription {
  /** The token holds a Lictor license (its public data object). */
  hasLicense: boolean;
  /** The token has a Lictor key (its public half, labelled `lictor`). */
  hasKey: boolean;
}

function describeListed(t: ListedToken): string {
  if (!t.present) return `slot ${t.slot}: empty${t.problem ? ` (${t.problem})` : ''}`;
  const lictor = [t.hasLicense ? 'Lictor license' : '', t.hasKey ? `key '${TOKEN_KEY_LABEL}'` : '']
    .filter((x) => x !== '')
    .join(', ');
  return `slot ${t.slot}: "${t.label}" ${t.manufacturer} ${t.model}, serial ${t.serial}${t.initialized ? '' : ' (not initialized)'}${lictor ? `; ${lictor}` : ''}`;
}

/** Registers `lictor token list`. */
export function registerToken(program: Command, io: Io): void {
  const token = program.command('token').description('hardware tokens (PKCS#11 dongles) on this computer');
  token
    .command('list')
    .description('the tokens the PKCS#11 module sees, and whether they hold Lictor licenses')
    .option('--module <lib>', MODULE_HELP)
    .option('--json', 'print JSON')
    .action(async (opts: { module?: string; json?: boolean }) => {
      const module = openTokenModule(opts.module, { env: io.env });
      try {
        const listed: ListedToken[] = [];
        for (const t of await module.listTokens()) {
          let hasLicense = false;
          let hasKey = false;
          if (t.present && t.initialized) {
            // Public objects only: no PIN is needed (or tried) to list.
            const session = await module.openToken({ slot: t.slot });
            try {
              hasLicense = (await session.listData()).some((d) => d.name === TOKEN_LICENSE_LABEL);
              hasKey = (await session.listKeys()).some((k) => k.label === TOKEN_KEY_LABEL);
            } finally {
              await session.close();
            }
          }
          listed.push({ ...t, hasLicense, hasKey });
        }
        if (opts.json) return io.out(JSON.stringify({ module: module.path, tokens: listed }, null, 2));
        io.out(`module: ${module.path}`);
        if (listed.length === 0) io.out('no slots');
        for (const t of listed) io.out(describeListed(t));
      } finally {
        await module.close();
      }
    });
}

/** Refuses `--bind-token` where it cannot apply. */
export function checkBindToken(opts: { bindToken?: boolean; offline?: boolean }): void {
  if (opts.bindToken && opts.offline) {
    throw new LictorError(
      'LICTOR_E_INVALID_INPUT',
      '--bind-token works with online activation (--center URL); a token can also be programmed by the vendor',
    );
  }
}
