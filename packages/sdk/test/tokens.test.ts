/**
 * Token licenses through `openLicensing`'s `tokens` option, against SoftHSM2: licenses stored on
 * tokens, license files bound to a token, copies on other tokens, hot plug, and a module that
 * cannot be loaded. Tokens are "pulled out" by moving their directory out of SoftHSM2's token
 * directory (see packages/token/test/softhsm.ts).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  encodeLicenseFile,
  type LicenseDocument,
  TOKEN_LICENSE_LABEL,
  type TokenBinding,
  utf8,
} from '@lictor/protocol';
import { FakeScheduler } from '@lictor/protocol/testing';
import { openTokenModule, type TokenModule } from '@lictor/token';
import { createSoftHsm, type SoftHsm, USER_PIN } from '../../token/test/softhsm.js';
import { type ChangeEvent, type Licensing, type LicensingOptions, tokenContainerPath } from '../src/index.js';
import { entry, HW, open, vendor } from './container-fixtures.js';
import {
  afterOneInterval,
  INTERVAL_MS,
  keyedToken,
  modulePath,
  nextChange,
  programToken,
  skipWithoutSoftHsm,
  tokenDoc,
} from './token-fixtures.js';

/** The next `change` event that reports a token. */
/**
 * The next change event about the token `serial`: events about other tokens (an earlier test's
 * token noticed late on a busy machine) are not the one awaited.
 */
function nextTokenChange(licensing: Licensing, serial: string): Promise<ChangeEvent> {
  return nextChange(licensing, (event) => event.tokens?.some((t) => t.serial === serial) === true);
}

/** A license of `product` (feature `historian`) bound to `binding`. */
function docOf(binding: TokenBinding, product = 'SCADA'): LicenseDocument {
  return tokenDoc(binding, { licenses: [{ ...entry(['historian']), product }] });
}

describe('token licenses through openLicensing (SoftHSM2)', skipWithoutSoftHsm, () => {
  let softhsm: SoftHsm;
  let root: string;
  let module: TokenModule;
  const opened: Licensing[] = [];

  async function openWithTokens(
    store: string,
    options: Partial<LicensingOptions> = {},
    scheduler?: FakeScheduler,
  ): Promise<Licensing> {
    const licensing = await open(store, {
      tokens: { module: modulePath, pin: USER_PIN, intervalMs: INTERVAL_MS, ...(scheduler ? { scheduler } : {}) },
      ...options,
    });
    opened.push(licensing);
    return licensing;
  }

  const makeToken = (label: string) => keyedToken(softhsm, module, label);

  before(async () => {
    softhsm = await createSoftHsm();
    root = await mkdtemp(join(softhsm.root, 'stores-'));
    module = openTokenModule(modulePath);
  });

  after(async () => {
    for (const l of opened) await l.close();
    await module?.close();
    await softhsm?.cleanup();
  });

  test('a license stored on a token is usable while the token proves its key; a copy on another token is not genuine', async () => {
    const original = await makeToken('original');
    const copy = await makeToken('copy');
    const text = await programToken(module, original.token, docOf(original.binding));
    // The same data objects, byte for byte, on another token (which has its own key).
    const session = await module.openToken({ serial: copy.token.serial });
    await session.login(USER_PIN);
    await session.writeData(TOKEN_LICENSE_LABEL, utf8(text), { private: false });
    await session.close();

    const store = await mkdtemp(join(root, 'store-'));
    const licensing = await openWithTokens(store);
    const result = licensing.check('historian');
    assert.equal(result.ok, true, JSON.stringify(result));
    const originalPath = tokenContainerPath(original.binding.token);
    assert.equal(result.ok && result.file, originalPath);

    const status = licensing.status();
    const onOriginal = status.find((f) => f.path === originalPath);
    assert.equal(onOriginal?.available, true, JSON.stringify(onOriginal));
    assert.deepEqual(onOriginal?.onToken, { ...original.binding.token, label: 'original' });
    const onCopy = status.find((f) => f.path === tokenContainerPath(copy.binding.token));
    assert.equal(onCopy?.available, false);
    assert.equal(onCopy?.code, 'LICTOR_E_TOKEN_NOT_GENUINE');
    assert.match(onCopy?.reason ?? '', /copy of a token's memory/);

    const container = licensing.containers().find((c) => c.file === originalPath);
    assert.equal(container?.upgradable, true, JSON.stringify(container));
    assert.equal(container?.onToken?.serial, original.token.serial);
    await licensing.close();
  });

  test('a time-limited license on a token is guarded by the clock mark in the store too', async () => {
    const DAY = 86_400_000;
    const timed = await makeToken('timed');
    // Issued in the past: the token stays plugged in for the later tests of this file, and a
    // signed issue time ahead of the real clock would raise their stores' marks past it.
    const issuedAt = Date.now() - 200 * DAY;
    const expiresAt = new Date(issuedAt + 30 * DAY).toISOString();
    await programToken(
      module,
      timed.token,
      tokenDoc(timed.binding, {
        issuedAt: new Date(issuedAt).toISOString(),
        licenses: [{ ...entry(['historian']), product: 'TIMED', expiresAt }],
      }),
    );
    const store = await mkdtemp(join(root, 'store-'));
    let now = issuedAt - 400 * 86_400_000;
    const licensing = await openWithTokens(store, { product: 'TIMED', now: () => now });
    const code = () => {
      const r = licensing.check('historian');
      return r.ok ? 'ok' : r.code;
    };
    assert.equal(code(), 'LICTOR_E_CLOCK_ROLLBACK', 'before the issue time');
    now = issuedAt + 40 * DAY;
    assert.equal(code(), 'LICTOR_E_LICENSE_EXPIRED');
    now = issuedAt + 5 * DAY;
    assert.equal(code(), 'LICTOR_E_CLOCK_ROLLBACK', 'set back past the expiry already seen');
    await licensing.close();
  });

  test('a token whose memory names it but that lacks the named key fails the presence proof', async () => {
    const holder = await makeToken('holder');
    const other = await makeToken('other');
    // Identity of `holder`, key of `other`: what a copy on a token with a forged serial would carry.
    await programToken(module, holder.token, docOf({ ...holder.binding, publicKey: other.binding.publicKey }, 'CAD'));
    const licensing = await openWithTokens(await mkdtemp(join(root, 'store-')), { product: 'CAD' });
    const result = licensing.check();
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.code, 'LICTOR_E_TOKEN_NOT_GENUINE');
    assert.match(!result.ok ? result.reason : '', /holds no private key for the registered public key/);
    await licensing.close();
  });

  test('a license file bound to a token works only while the token is plugged in, and comes back without a restart', async () => {
    const dongle = await makeToken('dongle');
    const store = await mkdtemp(join(root, 'store-'));
    await writeFile(join(store, 'bound.lic'), encodeLicenseFile(docOf(dongle.binding, 'CAM'), vendor));

    const withoutTokens = await open(store, { product: 'CAM' });
    const refused = withoutTokens.check();
    assert.equal(!refused.ok && refused.code, 'LICTOR_E_TOKEN_ABSENT');
    assert.match(!refused.ok ? refused.reason : '', /token licenses are not enabled here/);

    const scheduler = new FakeScheduler();
    const licensing = await openWithTokens(store, { product: 'CAM' }, scheduler);
    assert.equal(licensing.check().ok, true, JSON.stringify(licensing.check()));

    const removal = nextTokenChange(licensing, dongle.token.serial);
    await softhsm.unplug(dongle.token);
    // One presence check of the token, and the look for new tokens.
    const removed = await afterOneInterval(scheduler, 2, removal, 'the change event of the removal');
    assert.deepEqual(removed.changed, [join(store, 'bound.lic')]);
    assert.equal(removed.tokens?.[0]?.serial, dongle.token.serial);
    assert.equal(removed.tokens?.[0]?.present, false);
    const absent = licensing.check();
    assert.equal(!absent.ok && absent.code, 'LICTOR_E_TOKEN_ABSENT');
    assert.match(!absent.ok ? absent.reason : '', new RegExp(`#${dongle.token.serial} is not present; plug it in`));

    const insertion = nextTokenChange(licensing, dongle.token.serial);
    await softhsm.replug(dongle.token);
    const inserted = await afterOneInterval(scheduler, 2, insertion, 'the change event of the re-insertion');
    assert.equal(inserted.tokens?.[0]?.present, true);
    assert.equal(licensing.check().ok, true, JSON.stringify(licensing.check()));
    await licensing.close();
    await withoutTokens.close();
  });

  test('software licenses before token licenses: a token license that lives longer is used only when no software license serves', async () => {
    const dongle = await makeToken('order');
    const store = await mkdtemp(join(root, 'store-'));
    await writeFile(join(store, 'bound.lic'), encodeLicenseFile(docOf(dongle.binding, 'ORDER'), vendor));
    const software = tokenDoc(dongle.binding, {
      serial: 'LX-SOFT-WARE-0001',
      binding: { kind: 'hardware', hardware: HW },
      licenses: [{ ...entry(['historian']), product: 'ORDER', expiresAt: '2099-01-01T00:00:00.000Z' }],
    });
    await writeFile(join(store, 'software.lic'), encodeLicenseFile(software, vendor));
    const licensing = await openWithTokens(store, { product: 'ORDER' });
    const r = licensing.check('historian');
    assert.equal(r.ok && r.file, join(store, 'software.lic'), JSON.stringify(r));
    // The software license expired: the token's (perpetual) license serves.
    const later = await openWithTokens(store, { product: 'ORDER', now: () => Date.parse('2099-06-01T00:00:00Z') });
    const t = later.check('historian');
    assert.equal(t.ok && t.file, join(store, 'bound.lic'), JSON.stringify(t));
  });

  test('pulling out a token that holds a license refuses with the token named, and putting it back restores it', async () => {
    const carrier = await makeToken('carrier');
    await programToken(module, carrier.token, docOf(carrier.binding, 'MES'));
    const scheduler = new FakeScheduler();
    const licensing = await openWithTokens(await mkdtemp(join(root, 'store-')), { product: 'MES' }, scheduler);
    assert.equal(licensing.check().ok, true, JSON.stringify(licensing.check()));
    const path = tokenContainerPath(carrier.binding.token);

    const removal = nextTokenChange(licensing, carrier.token.serial);
    await softhsm.unplug(carrier.token);
    const removed = await afterOneInterval(scheduler, 2, removal, 'the change event of the removal');
    assert.deepEqual(removed.changed, [path]);
    const absent = licensing.check();
    assert.equal(!absent.ok && absent.code, 'LICTOR_E_TOKEN_ABSENT');
    assert.match(!absent.ok ? absent.reason : '', new RegExp(`${carrier.token.serial}.*plug it in`));
    // The license stays listed while its token is away, with the reason.
    const listed = licensing.status().find((f) => f.path === path);
    assert.equal(listed?.available, false);
    assert.equal(listed?.code, 'LICTOR_E_TOKEN_ABSENT');

    const insertion = nextTokenChange(licensing, carrier.token.serial);
    await softhsm.replug(carrier.token);
    await afterOneInterval(scheduler, 2, insertion, 'the change event of the re-insertion');
    assert.equal(licensing.check().ok, true, JSON.stringify(licensing.check()));
    await licensing.close();
  });

  test('a token plugged in for the first time after the start is found within the interval', async () => {
    const late = await makeToken('late');
    await programToken(module, late.token, docOf(late.binding, 'PLM'));
    await softhsm.unplug(late.token);
    await module.reinitialize();
    const scheduler = new FakeScheduler();
    const licensing = await openWithTokens(await mkdtemp(join(root, 'store-')), { product: 'PLM' }, scheduler);
    const before = licensing.check();
    assert.equal(before.ok, false);
    assert.match(before.ok ? '' : before.reason, /nor on a hardware token plugged in here/);

    const found = nextTokenChange(licensing, late.token.serial);
    await softhsm.replug(late.token);
    // SoftHSM2 lists a token only after a re-initialization; hardware modules list a new token in its reader at once.
    await module.reinitialize();
    // No token to check yet: only the look for new tokens is armed.
    const event = await afterOneInterval(scheduler, 1, found, 'the change event of the new token');
    assert.deepEqual(event.changed, [tokenContainerPath(late.binding.token)]);
    assert.equal(event.tokens?.[0]?.present, true);
    assert.equal(licensing.check().ok, true, JSON.stringify(licensing.check()));
    await licensing.close();
  });

  test('a PKCS#11 module that cannot be loaded leaves the other licenses working and says why', async () => {
    const store = await mkdtemp(join(root, 'store-'));
    const hardwareDoc: LicenseDocument = {
      ...docOf((await makeToken('spare')).binding),
      binding: { kind: 'hardware', hardware: HW },
    };
    await writeFile(join(store, 'computer.lic'), encodeLicenseFile(hardwareDoc, vendor));
    const missing = join(root, 'no-such-pkcs11.so');
    const licensing = await openWithTokens(store, { tokens: { module: missing, intervalMs: INTERVAL_MS } });
    assert.equal(licensing.check('historian').ok, true);
    const entry = licensing.status().find((f) => f.code === 'LICTOR_E_TOKEN_MODULE_MISSING');
    assert.ok(entry, JSON.stringify(licensing.status()));
    assert.equal(entry.available, false);
    assert.match(entry.reason ?? '', /^token licenses unavailable: .*no-such-pkcs11\.so/);
    await licensing.close();
    await rm(store, { recursive: true, force: true });
  });
});
