/**
 * Shared fixture of the License Manager tests: a license, a manager in a temporary directory,
 * and the keys that prove its answers (signed seats) with a genuine test license.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { sha256, toHex } from '@lictor/protocol';
import type { FastifyInstance } from 'fastify';
import { licenseKey } from '../../sdk/test/signed-answers.js';
import {
  buildManagerServer,
  LicenseManager,
  type LicenseManagerOptions,
  type PoolLicense,
  SeatProofs,
} from '../src/index.js';

/** The admin token of {@link openManager}'s managers unless the test gives its own hash. */
export const ADMIN_TOKEN = 'token';

/** A software license of 3 application seats of product `cad`. */
export const CAD: PoolLicense = {
  id: 'cad-1',
  serial: 'LX-CAD1-TEST-0001',
  product: 'cad',
  type: 'multi',
  seats: 3,
  features: [],
  expiresAt: null,
  source: 'software',
};

/**
 * Opens a manager over a state file in a new temporary directory, serving `[CAD]` with
 * {@link ADMIN_TOKEN}, id `mgr` and a reaper that does not run during the test, unless
 * `options` says otherwise. Closed, and its directory removed, after the test.
 */
export async function openManager(
  t: TestContext,
  options: Partial<LicenseManagerOptions> = {},
): Promise<{ manager: LicenseManager; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'lictor-mgr-'));
  let manager: LicenseManager | undefined;
  t.after(async () => {
    await manager?.close();
    await rm(dir, { recursive: true, force: true });
  });
  manager = await LicenseManager.open({
    stateFile: join(dir, 'state.json'),
    licenses: [CAD],
    adminTokenHash: toHex(sha256(ADMIN_TOKEN)),
    id: 'mgr',
    reapIntervalMs: 60_000,
    ...options,
  });
  return { manager, dir };
}

/**
 * The keys that prove the answers of a manager serving `licenses`: one genuine license of the
 * SDK tests' vendor (`VENDOR` of `sdk/test/signed-answers.ts`) for all their products signs for each.
 */
export function testProofs(licenses: readonly PoolLicense[] = [CAD]): SeatProofs {
  const key = licenseKey([...new Set(licenses.map((l) => l.product))]);
  const proofs = new SeatProofs();
  proofs.setKeys(new Map(licenses.map((l) => [l.id, key])));
  return proofs;
}

/**
 * {@link openManager} with its HTTP service (for `inject()` or `listen()`), its answers proven
 * with {@link testProofs}, closed after the test.
 */
export async function openManagerApp(
  t: TestContext,
  options: Partial<LicenseManagerOptions> = {},
): Promise<{ manager: LicenseManager; app: FastifyInstance; dir: string }> {
  const opened = await openManager(t, options);
  const app = buildManagerServer(opened.manager, { proofs: testProofs(options.licenses ?? [CAD]) });
  t.after(() => app.close());
  return { ...opened, app };
}
