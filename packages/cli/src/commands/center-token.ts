/**
 * `lictor center token program` and `lictor center tokens`: the vendor programs a hardware token
 * for a customer (a key generated on the token, a token-bound license activated in-process, the
 * container written into the token's memory) and lists the tokens the center knows.
 */

import type { Center, TokenView } from '@lictor/center';
import {
  decodeLicenseFile,
  encodeTokenContainerKeys,
  fromUtf8,
  generateContainerKeys,
  LictorError,
  randomBytes,
  TOKEN_KEY_LABEL,
  TOKEN_KEYS_LABEL,
  TOKEN_LICENSE_LABEL,
  type TokenActivationClaim,
  toBase64Url,
  tokenActivationMessage,
  utf8,
} from '@lictor/protocol';
import { collectHardware } from '@lictor/sdk';
import { describeToken, openTokenModule, type TokenKey, type TokenSession } from '@lictor/token';
import type { Command } from 'commander';
import type { Io } from '../io.js';
import { addOwnerOptions, ownerFrom } from '../options.js';
import { dataOption, withCenter } from './center-data.js';
import { MODULE_HELP, tokenName, tokenPinFor, tokenSelectorFrom } from './token.js';

interface ProgramOptions {
  module?: string;
  slot?: string;
  tokenLabel?: string;
  tokenSerial?: string;
  pinFile?: string;
  serial: string;
  pin?: string;
  company?: string;
  email?: string;
  owner?: string[];
  data?: string;
  json?: boolean;
}

/** What `lictor center token program` did. */
interface Programmed {
  token: { label: string; manufacturer: string; model: string; serial: string };
  publicKey: string;
  fingerprint: string;
  keyGenerated: boolean;
  serial: string;
  pinIndex: number;
  activationId: string;
  reactivated: boolean;
  containerId: string;
  dataObjects: { name: string; size: number; private: boolean }[];
}

/**
 * The token's Lictor key: the one labelled `lictor` if the token has it (programming again
 * keeps the key, so it is a reactivation), else a new one generated on the token.
 */
async function tokenKey(session: TokenSession): Promise<{ key: TokenKey; generated: boolean }> {
  const existing = (await session.listKeys()).find((k) => k.label === TOKEN_KEY_LABEL && k.hasPrivateKey);
  if (existing === undefined) return { key: await session.generateKey(TOKEN_KEY_LABEL), generated: true };
  if (!existing.generatedOnToken) {
    throw new LictorError(
      'LICTOR_E_TOKEN_NOT_GENUINE',
      `the key '${TOKEN_KEY_LABEL}' on the token ${describeToken(session.token)} was not generated on it (it was imported, so a copy may exist); ` +
        "delete it with the token vendor's tool and program the token again",
    );
  }
  return { key: existing, generated: false };
}

/** The claim the token signs to prove it asks for the activation itself. */
async function signedClaim(session: TokenSession, key: TokenKey, serial: string) {
  const { manufacturer, model, serial: tokenSerial } = session.token;
  const claim: TokenActivationClaim = {
    serial,
    publicKey: key.publicKey.text,
    token: { manufacturer, model, serial: tokenSerial },
    createdAt: new Date().toISOString(),
    nonce: toBase64Url(randomBytes(16)),
  };
  const signature = await session.sign(key.publicKey, tokenActivationMessage(claim));
  return { claim, signature: toBase64Url(signature) };
}

/** Re-throws a failed write with what the center already did and how to finish. */
function incomplete(err: unknown, done: { serial: string; pinIndex: number; activationId: string }): never {
  const cause = err instanceof LictorError ? err : new LictorError('LICTOR_E_TOKEN_FAILED', String(err));
  throw new LictorError(
    cause.code,
    `${cause.message}. The License Center has activated serial ${done.serial} PIN ${done.pinIndex} on this token ` +
      `(activation ${done.activationId}), but the token does not hold its license: make room on the token and run ` +
      'the same command again (it takes the same PIN back, as a reactivation)',
    { ...cause.details, activationId: done.activationId, pinIndex: done.pinIndex },
  );
}

async function program(center: Center, session: TokenSession, opts: ProgramOptions, io: Io): Promise<Programmed> {
  const { key, generated } = await tokenKey(session);
  const pin = opts.pin ?? (await center.pinForToken(opts.serial, key.publicKey.text)).pin;
  const keys = generateContainerKeys();
  const activated = await center.activate({
    serial: opts.serial,
    pin,
    owner: ownerFrom(opts),
    // The computer that programs the token: recorded with the activation, never the binding.
    hardware: await (io.hardware ?? collectHardware)(),
    containerKeys: keys.public,
    token: await signedClaim(session, key, opts.serial),
  });
  const doc = decodeLicenseFile(activated.license, center.publicKey);
  const done = { serial: doc.serial, pinIndex: doc.pin, activationId: activated.activationId };
  const keysObject = encodeTokenContainerKeys(doc.containerId, keys);
  const licenseObject = utf8(activated.license);
  try {
    await session.writeData(TOKEN_KEYS_LABEL, keysObject, { private: true });
    await session.writeData(TOKEN_LICENSE_LABEL, licenseObject, { private: false });
    const back = await session.readData(TOKEN_LICENSE_LABEL);
    if (back === null || fromUtf8(back) !== activated.license) {
      throw new LictorError(
        'LICTOR_E_TOKEN_FAILED',
        'the license read back from the token differs from the one written',
      );
    }
  } catch (err) {
    incomplete(err, done);
  }
  await center.recordTokenProgramming({
    publicKey: key.publicKey.text,
    activationId: activated.activationId,
    label: session.token.label || session.token.serial,
  });
  const { label, manufacturer, model, serial } = session.token;
  return {
    token: { label, manufacturer, model, serial },
    publicKey: key.publicKey.text,
    fingerprint: key.publicKey.fingerprint,
    keyGenerated: generated,
    serial: doc.serial,
    pinIndex: doc.pin,
    activationId: activated.activationId,
    reactivated: activated.reactivated,
    containerId: doc.containerId,
    dataObjects: [
      { name: TOKEN_LICENSE_LABEL, size: licenseObject.length, private: false },
      { name: TOKEN_KEYS_LABEL, size: keysObject.length, private: true },
    ],
  };
}

function printProgrammed(io: Io, p: Programmed): void {
  io.out(`Programmed token ${tokenName(p.token)}`);
  io.out(
    `  key:         ${p.keyGenerated ? 'generated on the token' : 'already on the token'}, label '${TOKEN_KEY_LABEL}'`,
  );
  io.out(`  fingerprint: ${p.fingerprint}`);
  io.out(`  public key:  ${p.publicKey}`);
  io.out(`  serial:      ${p.serial}, PIN ${p.pinIndex}${p.reactivated ? ' (reactivated)' : ''}`);
  io.out(`  activation:  ${p.activationId}`);
  io.out(`  container:   ${p.containerId}`);
  for (const d of p.dataObjects) {
    io.out(`  data object: ${d.name} (${d.size} bytes, ${d.private ? 'private: needs the token PIN' : 'public'})`);
  }
}

function printTokens(io: Io, tokens: TokenView[]): void {
  if (tokens.length === 0) io.out('no tokens registered');
  for (const t of tokens) {
    const programmed =
      t.programmedAt === null
        ? 'not programmed'
        : `programmed ${t.programmedAt}: ${t.packageSerial} activation ${t.activationId}`;
    io.out(
      `${t.fingerprint}  ${t.token.manufacturer} ${t.token.model} #${t.token.serial}` +
        `${t.label === null ? '' : ` "${t.label}"`}  ${programmed}; ${t.activeActivations.length} active activation(s)`,
    );
  }
}

/** Registers `lictor center token program` and `lictor center tokens`. */
export function registerCenterToken(center: Command, io: Io): void {
  const token = center.command('token').description('hardware tokens (PKCS#11 dongles) programmed by the vendor');
  addOwnerOptions(
    token
      .command('program')
      .description('program a hardware token for a customer: a key on the token, a token-bound license in its memory')
      .option('--module <lib>', MODULE_HELP)
      .option('--slot <id>', 'the token in this slot')
      .option('--token-label <label>', 'the token with this label')
      .option('--token-serial <serial>', "the token with this serial number (the token's own)")
      .option(
        '--pin-file <file>',
        "file whose first line is the token's user PIN (else LICTOR_TOKEN_PIN, else a prompt)",
      )
      .requiredOption('--serial <serial>', 'serial number of the package to activate on the token')
      .option(
        '--pin <pin>',
        "the package's PIN code to use (default: the token's own PIN again, else the first unused one)",
      ),
  )
    .addOption(dataOption())
    .option('--json', 'print JSON')
    .action(async (opts: ProgramOptions) => {
      await withCenter(opts.data, io, async (c) => {
        const module = openTokenModule(opts.module, { env: io.env });
        let session: TokenSession | undefined;
        try {
          session = await module.openToken(tokenSelectorFrom(opts));
          await session.login(await tokenPinFor(opts.pinFile, io));
          const programmed = await program(c, session, opts, io);
          if (opts.json) io.out(JSON.stringify(programmed));
          else printProgrammed(io, programmed);
        } finally {
          await session?.close();
          await module.close();
        }
      });
    });

  center
    .command('tokens')
    .description('list the hardware tokens licenses were bound to')
    .addOption(dataOption())
    .option('--json', 'print JSON')
    .action(async (opts: { data?: string; json?: boolean }) => {
      await withCenter(opts.data, io, async (c) => {
        const tokens = await c.listTokens();
        if (opts.json) io.out(JSON.stringify(tokens));
        else printTokens(io, tokens);
      });
    });
}
