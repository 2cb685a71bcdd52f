/** The wire contract against the real License Manager over a real socket (the fake: `sdk/test/manager-contract-fake.test.ts`). */
import type { AddressInfo } from 'node:net';
import { managerContract } from '../../sdk/test/manager-contract.js';
import { buildManagerServer } from '../src/index.js';
import { CAD, openManager, testProofs } from './manager-fixture.js';

managerContract('the real License Manager', {
  async start(t, seats, terms = {}) {
    const licenses = [
      {
        ...CAD,
        id: 'acme-1',
        serial: 'LX-7K2M-9QXD-4RTA',
        product: 'ACME',
        seats,
        features: [{ code: 'reports', users: null }],
        ...terms,
      },
    ];
    const { manager } = await openManager(t, { licenses });
    const app = buildManagerServer(manager, { proofs: testProofs(licenses) });
    t.after(() => app.close());
    await app.listen({ port: 0, host: '127.0.0.1' });
    return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  },
});
