/** Access rules in seat counting, through LicenseManager: reserve, max, deny, and renewals. */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { sha256, toHex } from '@lictor/protocol';
import {
  type AcquireResult,
  type ClientIdentity,
  LicenseManager,
  type PoolLicense,
  parseAccessRules,
} from '../src/index.js';
import { CAD as BASE_CAD, openManager } from './manager-fixture.js';

const CAD: PoolLicense = { ...BASE_CAD, seats: 5, features: [{ code: 'render', users: 2 }] };

const GROUPS = `
group eng user ann ben
group contractors address 10.50.0.0/16
`;

async function open(t: TestContext, rules: string, licenses: PoolLicense[] = [CAD]): Promise<LicenseManager> {
  const { manager } = await openManager(t, { licenses, accessRules: parseAccessRules(GROUPS + rules) });
  return manager;
}

function who(user: string, n = 1, host = `${user}-pc`): ClientIdentity {
  return { host, user, process: `app-${n}`, session: '1' };
}

function take(m: LicenseManager, client: ClientIdentity, address = '192.0.2.1', feature?: string): AcquireResult {
  return m.acquire({ product: 'cad', client, address, ...(feature === undefined ? {} : { feature }) });
}

test('reserve 2 of 5 seats for eng: outsiders get 3, then refused; eng still gets 2', async (t) => {
  const m = await open(t, 'reserve 2 cad group eng');
  for (const n of [1, 2, 3]) assert.equal(take(m, who('zoe', n)).kind, 'granted');
  const refused = take(m, who('zoe', 4));
  assert.equal(refused.kind, 'exhausted');
  if (refused.kind === 'exhausted') {
    assert.equal(refused.inUse, 3);
    assert.equal(refused.total, 5);
    assert.deepEqual(refused.limit?.rule, { line: 4, text: 'reserve 2 cad group eng' });
    assert.match(refused.limit?.reason ?? '', /last 2 free seat\(s\) of 'cad' are reserved for group eng/);
  }
  assert.equal(take(m, who('ann')).kind, 'granted');
  assert.equal(take(m, who('ben')).kind, 'granted');
  // The pool is full now: a plain refusal, no rule involved.
  const full = take(m, who('ann', 2));
  assert.deepEqual(full, { kind: 'exhausted', inUse: 5, total: 5 });
  assert.match(m.events(1)[0]?.detail ?? '', /seats exhausted \(5\/5\)/);
});

test('a reservation already used by its group holds nothing back', async (t) => {
  const m = await open(t, 'reserve 2 cad group eng');
  assert.equal(take(m, who('ann')).kind, 'granted');
  assert.equal(take(m, who('ben')).kind, 'granted');
  for (const n of [1, 2, 3]) assert.equal(take(m, who('zoe', n)).kind, 'granted', `zoe ${n}`);
});

test('max 2 for contractors (by socket address): the third is refused, others are not, a release lets one in', async (t) => {
  const m = await open(t, 'max 2 cad group contractors');
  const first = take(m, who('c1'), '10.50.1.1');
  assert.equal(first.kind, 'granted');
  assert.equal(take(m, who('c2'), '::ffff:10.50.1.2').kind, 'granted');
  const third = take(m, who('c3'), '10.50.1.3');
  assert.equal(third.kind, 'exhausted');
  if (third.kind === 'exhausted') {
    assert.equal(third.limit?.rule.line, 4);
    assert.match(third.limit?.reason ?? '', /group contractors may hold at most 2 seat\(s\) of 'cad' and holds 2/);
  }
  // The same user from outside the contractors' network is not capped: the address decides.
  assert.equal(take(m, who('c3'), '10.51.1.3').kind, 'granted');
  assert.equal(take(m, who('zoe'), '10.51.0.9').kind, 'granted');
  if (first.kind === 'granted') assert.equal(m.release(first.lease.id), true);
  assert.equal(take(m, who('c4'), '10.50.1.4').kind, 'granted');
  assert.match(m.events().find((e) => e.kind === 'refused')?.detail ?? '', /at most 2 seat/);
});

test('a cap counts seats in the license counting unit: applications of one computer are one seat', async (t) => {
  const PER_COMPUTER: PoolLicense = { ...CAD, id: 'cad-pc', type: 'single', seats: 4, features: [] };
  const m = await open(t, 'max 1 cad user zoe', [PER_COMPUTER]);
  assert.equal(take(m, who('zoe', 1, 'pc-1')).kind, 'granted');
  assert.equal(take(m, who('zoe', 2, 'pc-1')).kind, 'granted');
  assert.equal(take(m, who('zoe', 3, 'pc-2')).kind, 'exhausted');
  // Another user's seat is not zoe's, but joining it would add one to zoe's count.
  assert.equal(take(m, who('ann', 1, 'pc-3')).kind, 'granted');
  assert.equal(take(m, who('zoe', 4, 'pc-3')).kind, 'exhausted');
});

test('a feature reservation keeps feature seats and the product seats they need', async (t) => {
  // 5 product seats, 2 render seats, 1 render seat reserved for eng.
  const m = await open(t, 'reserve 1 cad/render group eng');
  assert.equal(take(m, who('zoe', 1), undefined, 'render').kind, 'granted');
  const second = take(m, who('zoe', 2), undefined, 'render');
  assert.equal(second.kind, 'exhausted');
  if (second.kind === 'exhausted') assert.deepEqual([second.inUse, second.total, second.limit?.rule.line], [1, 2, 4]);
  // Product seats: 4 free; outsiders may take 3, leaving the one a render lease would need.
  for (const n of [3, 4, 5]) assert.equal(take(m, who('zoe', n)).kind, 'granted', `zoe ${n}`);
  assert.equal(take(m, who('zoe', 6)).kind, 'exhausted');
  assert.equal(take(m, who('ann'), undefined, 'render').kind, 'granted');
});

test('deny refuses new leases with the rule; a lease held before the rule is renewed, not re-checked', async (t) => {
  const m = await open(t, '');
  const held = take(m, who('bob'));
  assert.equal(held.kind, 'granted');
  m.setAccessRules(parseAccessRules(`${GROUPS}deny cad user bob\nmax 0 cad user ann`));
  assert.equal(m.events(1)[0]?.kind, 'access-rules-loaded');

  const again = take(m, who('bob'));
  assert.equal(again.kind, 'renewed');
  if (held.kind === 'granted') assert.equal(m.heartbeat(held.lease.id).kind, 'renewed');

  const other = take(m, who('bob', 2));
  assert.equal(other.kind, 'denied');
  if (other.kind === 'denied') {
    assert.deepEqual(other.rules, [{ line: 4, text: 'deny cad user bob' }]);
    assert.match(
      other.reason,
      /'cad' is denied to user 'bob' on host 'bob-pc' from 192\.0\.2\.1 by access rule line 4/,
    );
  }
  assert.equal(m.events(1)[0]?.kind, 'refused');
  assert.match(m.events(1)[0]?.detail ?? '', /line 4/);
  assert.equal(take(m, who('ann')).kind, 'exhausted');

  // Once an administrator takes the seat back, the client cannot take it again.
  if (held.kind === 'granted') assert.equal(m.adminRelease(held.lease.id), true);
  assert.equal(take(m, who('bob')).kind, 'denied');
});

test('after a restart, restored leases count for their group by the address they were granted from', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lictor-access-restart-'));
  const options = {
    stateFile: join(dir, 'state.json'),
    licenses: [CAD],
    adminTokenHash: toHex(sha256('token')),
    id: 'mgr',
    reapIntervalMs: 60_000,
    accessRules: parseAccessRules(`${GROUPS}max 1 cad group contractors`),
  };
  const first = await LicenseManager.open(options);
  assert.equal(take(first, who('c1'), '10.50.0.1').kind, 'granted');
  await first.close();
  const second = await LicenseManager.open(options);
  t.after(async () => {
    await second.close();
    await rm(dir, { recursive: true, force: true });
  });
  assert.equal(second.leases()[0]?.address, '10.50.0.1');
  const refused = take(second, who('c2'), '10.50.0.2');
  assert.equal(refused.kind, 'exhausted');
  if (refused.kind === 'exhausted') assert.equal(refused.limit?.rule.line, 4);
  assert.equal(take(second, who('c1'), '10.50.0.1').kind, 'renewed');
});
