/** Hardware tokens (SoftHSM2) for the SDK's token tests: tokens with a Lictor key, programmed as the vendor does. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  encodeLicenseFile,
  encodeTokenContainerKeys,
  generateContainerKeys,
  type LicenseDocument,
  TOKEN_KEY_LABEL,
  TOKEN_KEYS_LABEL,
  TOKEN_LICENSE_LABEL,
  type TokenBinding,
  utf8,
} from '@lictor/protocol';
import type { FakeScheduler } from '@lictor/protocol/testing';
import type { TokenDescription, TokenModule } from '@lictor/token';
import { type SoftHsm, softhsmModule, type TestToken, USER_PIN } from '../../token/test/softhsm.js';
import type { ChangeEvent, Licensing } from '../src/index.js';
import { entry, OWNER, vendor } from './container-fixtures.js';

/** The SoftHSM2 module, or why the token tests are skipped. */
export const hsm = softhsmModule();
export const modulePath = 'path' in hsm ? hsm.path : '';
export const skipWithoutSoftHsm = { skip: 'skip' in hsm ? hsm.skip : false };

/** The presence check interval of the token tests. */
export const INTERVAL_MS = 200;

/** A generous bound on the real work of noticing a token change on a loaded machine. */
export const CHANGE_BOUND_MS = 30_000;

/**
 * Once `timers` timers are set on `scheduler` (every presence check and token look armed),
 * moves it on by one token interval and waits for `promise`: what that one round of checks
 * brings about. Fails naming `what` after {@link CHANGE_BOUND_MS} of real time.
 */
export async function afterOneInterval<T>(
  scheduler: FakeScheduler,
  timers: number,
  promise: Promise<T>,
  what: string,
): Promise<T> {
  await withTimeout(scheduler.whenPending(timers), CHANGE_BOUND_MS, `${timers} timers armed before ${what}`);
  scheduler.advance(INTERVAL_MS);
  return withTimeout(promise, CHANGE_BOUND_MS, `${what} after one interval`);
}

/** `promise`, or a failure naming `what` after `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The next `change` event that `match` accepts. */
export function nextChange(licensing: Licensing, match: (event: ChangeEvent) => boolean): Promise<ChangeEvent> {
  return new Promise((resolve) => {
    const off = licensing.on('change', (event) => {
      if (!match(event)) return;
      off();
      resolve(event);
    });
  });
}

/** A token made with its own Lictor key, as `lictor activate --bind-token` or the vendor's programming leaves it. */
export interface KeyedToken {
  token: TestToken;
  description: TokenDescription;
  /** A binding to this token and its key. */
  binding: TokenBinding & { kind: 'token' };
  /** SoftHSM2's files of the key pair (to take the key away in a test, and put it back). */
  keyFiles: Map<string, Buffer>;
}

/** Makes a token and generates its Lictor key. */
export async function keyedToken(softhsm: SoftHsm, module: TokenModule, label: string): Promise<KeyedToken> {
  const token = await softhsm.initToken(label);
  await module.reinitialize();
  const session = await module.openToken({ serial: token.serial });
  try {
    await session.login(USER_PIN);
    const before = new Set(await readdir(token.dir));
    const key = await session.generateKey(TOKEN_KEY_LABEL);
    const keyFiles = new Map<string, Buffer>();
    for (const name of await readdir(token.dir)) {
      if (!before.has(name) && name !== 'generation') keyFiles.set(name, await readFile(join(token.dir, name)));
    }
    const description = session.token;
    const { manufacturer, model, serial } = description;
    const binding = { kind: 'token' as const, token: { manufacturer, model, serial }, publicKey: key.publicKey.text };
    return { token, description, binding, keyFiles };
  } finally {
    await session.close();
  }
}

let sequence = 0;

/** A license of product SCADA (feature `historian`) bound to `binding`; `overrides` change any field. */
export function tokenDoc(binding: TokenBinding, overrides: Partial<LicenseDocument> = {}): LicenseDocument {
  sequence++;
  return {
    format: 1,
    containerId: `c-token-${sequence}`,
    activationId: `a-token-${sequence}`,
    serial: `LX-TOKN-${String(sequence).padStart(4, '0')}-AAAA`,
    pin: 1,
    issuedAt: new Date().toISOString(),
    counter: 0,
    owner: OWNER,
    binding,
    licenses: [entry(['historian'])],
    ...overrides,
  };
}

/**
 * Programs a token as `lictor center token program` does: `doc` with new container keys, signed,
 * as the public license object, and the container keys as a private object. Returns the license text.
 */
export async function programToken(module: TokenModule, token: TestToken, doc: LicenseDocument): Promise<string> {
  const pair = generateContainerKeys();
  const text = encodeLicenseFile({ ...doc, containerKeys: pair.public }, vendor);
  const session = await module.openToken({ serial: token.serial });
  try {
    await session.login(USER_PIN);
    await session.writeData(TOKEN_LICENSE_LABEL, utf8(text), { private: false });
    await session.writeData(TOKEN_KEYS_LABEL, encodeTokenContainerKeys(doc.containerId, pair));
  } finally {
    await session.close();
  }
  return text;
}
