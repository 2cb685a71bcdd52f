/** The wire contract against the SDK tests' fake License Manager (the real one: `manager/test/manager-contract.test.ts`). */
import { fakeManager } from './fake-manager.js';
import { managerContract } from './manager-contract.js';

managerContract('the SDK tests’ fake', {
  async start(t, seats) {
    const fake = await fakeManager({ total: seats, heartbeatIntervalMs: 20_000, ttlMs: 60_000 });
    t.after(() => fake.stop());
    return fake.url;
  },
});
