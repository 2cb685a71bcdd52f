/**
 * A real License Manager on loopback for the runtime's seat tests (`openManager`), apart from
 * `runtime-fixture.ts`: the manager is a Fastify service, and a test that records what the
 * runtime loads (`lazy-modules-child.ts`) imports the runtime fixture but not this one.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { openManager, type RunningManager } from '@lictor/manager';
import { activateLicense, entry, HW, PUBLIC_KEY, SECRET } from './runtime-fixture.js';

/**
 * A License Manager on loopback serving `seats` seats of CAD (multi-user) from a license activated
 * on its computer (its container key signs the seats), closed after the test.
 */
export async function startManager(
  t: Pick<TestContext, 'after'>,
  seats: number,
): Promise<{ running: RunningManager; close(): Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'lictor-rt-mgr-'));
  await mkdir(join(dataDir, 'licenses'));
  await activateLicense(join(dataDir, 'licenses'), [
    entry({ product: 'CAD', type: 'multi', users: seats, features: [] }),
  ]);
  const running = await openManager({
    dataDir,
    publicKey: PUBLIC_KEY,
    port: 0,
    discoveryPort: 0,
    heartbeatSeconds: 20,
    leaseTtlSeconds: 60,
    computer: { env: {}, hardware: async () => HW, machineSecret: async () => SECRET },
  });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await running.close();
  };
  t.after(async () => {
    await close();
    await rm(dataDir, { recursive: true, force: true });
  });
  return { running, close };
}
