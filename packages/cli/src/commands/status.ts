/**
 * `lictor status` and `lictor check`: what the license files on this computer hold, and whether a
 * product is licensed. `status` also runs without the vendor public key (an end user rarely has
 * it): the files are then listed unverified, with what their names and headers say.
 */
import { documentKeyId, type ErrorCode, LictorError, parsePublicKey, toHex } from '@lictor/protocol';
import {
  type CheckResult,
  type ClockStatus,
  type LicenseFileStatus,
  licenseSearchPaths,
  scanLicenseDirs,
  shownDuration,
} from '@lictor/sdk';
import { type Command, Option } from 'commander';
import type { Io } from '../io.js';
import { addClientOptions, type ClientOptions, withLicensing } from './licensing.js';
import { addTokenOptions, type TokenCliOptions, tokenName, tokenOptionsFrom } from './token.js';

/** A license file listed without the vendor key: nothing in it is verified. */
interface UnverifiedFile {
  path: string;
  verified: false;
  /** The id of the vendor key the file's header names (hex). */
  vendorKeyId?: string;
  /** The serial its file name starts with. */
  serial?: string;
  code?: ErrorCode;
  reason?: string;
}

const NO_KEY_NOTE =
  'no vendor public key given (--public-key KEY or LICTOR_PUBLIC_KEY; the vendor prints it with ' +
  "'lictor center public-key', and applications embed it): the files below are UNVERIFIED, " +
  'so whether they are genuine and available here is not known';

/** The files in the search paths, read without the vendor key. */
async function unverifiedFiles(
  io: Io,
  opts: ClientOptions,
): Promise<{ searchPaths: string[]; files: UnverifiedFile[] }> {
  const searchPaths = licenseSearchPaths({ env: io.env });
  if (opts.store && !searchPaths.includes(opts.store)) searchPaths.unshift(opts.store);
  const files: UnverifiedFile[] = [];
  for (const f of await scanLicenseDirs(searchPaths)) {
    if (f.kind !== 'license') continue;
    if ('error' in f) {
      files.push({ path: f.path, verified: false, code: 'LICTOR_E_FILE_UNREADABLE', reason: f.error });
      continue;
    }
    const serial = /(LX-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})_[^/\\]*\.lic$/.exec(f.path)?.[1];
    try {
      files.push({
        path: f.path,
        verified: false,
        vendorKeyId: documentKeyId('license', f.text),
        ...(serial ? { serial } : {}),
      });
    } catch (err) {
      if (!(err instanceof LictorError)) throw err;
      files.push({ path: f.path, verified: false, code: err.code, reason: err.message });
    }
  }
  return { searchPaths, files };
}

function printUnverified(io: Io, searchPaths: string[], files: UnverifiedFile[]): void {
  io.out(`searched: ${searchPaths.join(', ')}`);
  io.out(NO_KEY_NOTE);
  if (files.length === 0) io.out('no license files found');
  for (const f of files) {
    if (f.code) {
      io.out(`${f.path}: unreadable [${f.code}]`);
      io.out(`  ${f.reason}`);
      continue;
    }
    io.out(`${f.path}: unverified, issued with vendor key ${f.vendorKeyId}`);
    if (f.serial) io.out(`  serial ${f.serial} (from the file name)`);
  }
}

function printStatus(io: Io, searchPaths: readonly string[], files: readonly LicenseFileStatus[]): void {
  io.out(`searched: ${searchPaths.join(', ')}`);
  if (files.length === 0) io.out('no license files found');
  for (const f of files) {
    const state = f.available ? (f.supersededBy ? 'superseded' : 'available') : `unavailable [${f.code}]`;
    io.out(`${f.path}: ${state}`);
    if (f.onToken) io.out(`  stored on the hardware token ${tokenName(f.onToken)}`);
    if (f.serial) io.out(`  serial ${f.serial}, issued ${f.issuedAt}`);
    if (f.container) {
      const c = f.container;
      io.out(
        `  container ${c.id}, state ${c.counter}${c.upgradable ? '' : ' (cannot be upgraded here)'}${c.pendingQuestion ? `, upgrade question pending since ${c.pendingQuestion.createdAt}` : ''}`,
      );
    }
    for (const l of f.licenses ?? []) {
      const features = l.features.map((x) => (x.users === null ? x.code : `${x.code}=${x.users}`)).join(', ');
      io.out(
        `  ${l.product} (${l.type}${l.type === 'multi' ? `, ${l.users} users` : ''})${l.expiresAt ? ` until ${l.expiresAt}` : ''}${features ? `: ${features}` : ''}`,
      );
    }
    if (f.reason) io.out(`  ${f.reason}`);
  }
}

/** The clock mark's lines of `lictor status`: said only when something is wrong. */
function printClock(io: Io, clock: ClockStatus): void {
  if (clock.rolledBack) {
    io.out(
      `clock: set back [LICTOR_E_CLOCK_ROLLBACK]: more than ${shownDuration(clock.toleranceMs)} behind ${clock.mark}, a time already seen here; ` +
        'time-limited licenses are unavailable until the date and time are right ' +
        '(a clock that was ahead by mistake: lictor blacklist --center URL resets the mark)',
    );
  }
  if (clock.problem) io.out(`clock mark ${clock.file}: [${clock.problem.code}] ${clock.problem.reason}`);
}

/**
 * `check`'s answer, with one correction: when the product was not found but files issued with
 * another vendor key are there, the likely mistake is the key (`--public-key`), and the answer
 * names it (`LICTOR_E_WRONG_VENDOR`) instead of "no license file found".
 */
function explainCheck(result: CheckResult, files: readonly LicenseFileStatus[], publicKey: string): CheckResult {
  if (result.ok || result.code !== 'LICTOR_E_NOT_LICENSED') return result;
  const others = files.filter((f) => f.code === 'LICTOR_E_WRONG_VENDOR');
  if (others.length === 0) return result;
  const hex = toHex(parsePublicKey(publicKey).keyId);
  return {
    ok: false,
    code: 'LICTOR_E_WRONG_VENDOR',
    reason: `${result.reason}; ${others.length} license file(s) there were issued with another vendor key than ${hex} (${others.map((f) => f.path).join(', ')}): if one of them is this product's license, the vendor public key given (--public-key or LICTOR_PUBLIC_KEY) is the wrong one; the vendor prints the right one with 'lictor center public-key'`,
  };
}

/** Registers `lictor status` and `lictor check`; `check` sets the exit code through `exit`. */
export function registerStatus(program: Command, io: Io, exit: (code: number) => void): void {
  addClientOptions(
    addTokenOptions(
      program
        .command('status')
        .description('every license file found, and whether it is available (without the vendor key: unverified)'),
    ),
  ).action(async (opts: ClientOptions & TokenCliOptions) => {
    if ((opts.publicKey ?? io.env.LICTOR_PUBLIC_KEY ?? '') === '') {
      const { searchPaths, files } = await unverifiedFiles(io, opts);
      if (opts.json) return io.out(JSON.stringify({ searchPaths, verified: false, files }, null, 2));
      return printUnverified(io, searchPaths, files);
    }
    const { files, searchPaths, clock } = await withLicensing(
      io,
      opts,
      async (licensing) => ({
        files: licensing.status(),
        searchPaths: licensing.searchPaths,
        clock: licensing.clock(),
      }),
      { tokens: tokenOptionsFrom(opts) },
    );
    if (opts.json) return io.out(JSON.stringify({ searchPaths, files, clock }, null, 2));
    printStatus(io, searchPaths, files);
    printClock(io, clock);
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
      const result = await withLicensing(
        io,
        opts,
        async (licensing) =>
          explainCheck(
            licensing.check(opts.feature),
            licensing.status(),
            (opts.publicKey ?? io.env.LICTOR_PUBLIC_KEY) as string,
          ),
        {
          product: opts.product,
          tokens: tokenOptionsFrom(opts),
          role: opts.role,
          bitness: opts.bitness === undefined ? undefined : (Number(opts.bitness) as 32 | 64),
        },
      );
      if (opts.json) io.out(JSON.stringify(result));
      else if (result.ok) {
        io.out(
          `licensed: ${result.product}${result.feature ? `/${result.feature}` : ''} (serial ${result.serial}${result.expiresAt ? `, until ${result.expiresAt}` : ''})`,
        );
      } else io.err(`not licensed [${result.code}]: ${result.reason}`);
      if (!result.ok) exit(1);
    },
  );
}
