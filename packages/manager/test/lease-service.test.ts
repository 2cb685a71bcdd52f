/** The lease service: several observers of the pool and of the service, each told every change with its reason. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type LeaseChange, LeasePool, LeaseService, type PoolLicense } from '../src/index.js';

const CAD: PoolLicense = {
  id: 'cad-1',
  product: 'cad',
  type: 'multi',
  seats: 2,
  features: [],
  expiresAt: null,
  source: 'software',
};
const client = (n: number) => ({ host: `h${n}`, user: 'u', process: 'p', session: 's' });

function pool(clock: { t: number }): LeasePool {
  const p = new LeasePool({ now: () => clock.t, leaseTtlMs: 1_000 });
  p.replaceLicenses([CAD]);
  return p;
}

test('the pool tells every observer added, besides the one of observe(); a removed one hears nothing more', () => {
  const clock = { t: 0 };
  const p = pool(clock);
  const heard: string[] = [];
  const observer = (name: string) => ({
    granted: () => heard.push(`${name}+`),
    dropped: () => heard.push(`${name}-`),
  });
  p.observe(observer('single'));
  const stopA = p.addObserver(observer('a'));
  p.addObserver(observer('b'));
  const r = p.acquire({ product: 'cad', client: client(1) });
  assert.ok(r.kind === 'granted');
  stopA();
  p.observe(observer('replaced'));
  p.release(r.lease.id);
  assert.deepEqual(heard, ['single+', 'a+', 'b+', 'replaced-', 'b-']);
});

test('service observers hear each change once with its reason; a throwing observer does not stop the others', () => {
  const clock = { t: 0 };
  const service = new LeaseService(pool(clock), () => clock.t);
  const changes: LeaseChange[] = [];
  service.observe(() => {
    throw new Error('a broken observer');
  });
  const stop = service.observe((c) => changes.push(c));
  const granted = service.acquire({ product: 'cad', client: client(1) });
  assert.ok(granted.kind === 'granted');
  service.acquire({ product: 'cad', client: client(1) });
  service.heartbeat(granted.lease.id);
  service.acquire({ product: 'cad', client: client(2) });
  service.acquire({ product: 'cad', client: client(3) });
  service.release(granted.lease.id, { by: 'by its client' });
  clock.t += 1_001;
  service.expire();
  service.setLicenses([], 'gone');
  stop();
  service.acquire({ product: 'cad', client: client(4) });
  assert.deepEqual(
    changes.map((c) => {
      switch (c.kind) {
        case 'renewed':
          return `renewed:${c.via}`;
        case 'released':
          return `released:${c.by}`;
        case 'expired':
          return `expired:${c.lease?.client.host}`;
        case 'refused':
          return `refused:${c.client.host}`;
        case 'licenses-changed':
          return `licenses:${c.count}`;
        default:
          return c.kind;
      }
    }),
    [
      'granted',
      'renewed:acquire',
      'renewed:heartbeat',
      'granted',
      'refused:h3',
      'released:by its client',
      'expired:h2',
      'licenses:0',
    ],
  );
});

test('a block keeps one identity of one product out until it ends; other identities and a later release are not affected', () => {
  const clock = { t: 0 };
  const service = new LeaseService(pool(clock), () => clock.t);
  const held = service.acquire({ product: 'cad', client: client(1) });
  assert.ok(held.kind === 'granted');
  assert.equal(service.release(held.lease.id, { by: 'an administrator', blockMs: 500 }), true);
  assert.equal(service.release(held.lease.id, { by: 'an administrator', blockMs: 500 }), false);
  const refused = service.acquire({ product: 'cad', client: client(1) });
  assert.equal(refused.kind, 'revoked');
  assert.equal(refused.kind === 'revoked' && refused.until, 500);
  assert.equal(service.acquire({ product: 'cad', client: client(2) }).kind, 'granted');
  clock.t = 499;
  assert.equal(service.acquire({ product: 'cad', client: client(1) }).kind, 'revoked');
  clock.t = 500;
  const back = service.acquire({ product: 'cad', client: client(1) });
  assert.equal(back.kind, 'granted');
  assert.ok(back.kind === 'granted');
  service.release(back.lease.id, { by: 'by its client' });
  assert.equal(
    service.acquire({ product: 'cad', client: client(1) }).kind,
    'granted',
    'a plain release blocks nothing',
  );
});

test('the per-address cap: an address over it gets no new seat (told as refused); renewals, other addresses and seats freed are not held back', () => {
  const clock = { t: 0 };
  const service = new LeaseService(pool(clock), () => clock.t, { maxSeatsPerAddress: 1 });
  assert.equal(service.maxSeatsPerAddress, 1);
  const changes: LeaseChange[] = [];
  service.observe((c) => changes.push(c));
  const at = (n: number, address: string) => ({ product: 'cad', client: client(n), address });
  const first = service.acquire(at(1, '10.0.0.1'));
  assert.ok(first.kind === 'granted');
  const over = service.acquire(at(2, '10.0.0.1'));
  assert.ok(over.kind === 'exhausted');
  assert.deepEqual(over.limit?.rule, { line: 0, text: 'max-seats-per-address 1' });
  assert.equal(service.acquire(at(1, '10.0.0.1')).kind, 'renewed', 'its own lease, asked for again');
  assert.equal(service.acquire(at(2, '10.0.0.2')).kind, 'granted', 'another address');
  service.release(first.lease.id, { by: 'by its client' });
  assert.equal(service.acquire(at(2, '10.0.0.1')).kind, 'granted', 'the seat it held came free');
  assert.deepEqual(
    changes.map((c) => c.kind),
    ['granted', 'refused', 'renewed', 'granted', 'released', 'granted'],
  );
  assert.match((changes[1] as { detail: string }).detail, /the address 10\.0\.0\.1 holds 1 seat\(s\) of 'cad'/);
  // Without a cap, or with one that is not a whole number ≥ 1.
  assert.equal(new LeaseService(pool(clock), () => clock.t).maxSeatsPerAddress, null);
  for (const bad of [0, 1.5, -1, Number.NaN]) {
    assert.throws(() => new LeaseService(pool(clock), () => clock.t, { maxSeatsPerAddress: bad }), {
      code: 'LICTOR_E_INVALID_INPUT',
    });
  }
});
