/**
 * Access rules under random inputs: addresses against Node's own `net.BlockList`, the parser on
 * arbitrary text, allow/deny against a plain model, and reserve/max against a pool without rules.
 */
import assert from 'node:assert/strict';
import { BlockList } from 'node:net';
import { describe, test } from 'node:test';
import { LictorError } from '@lictor/protocol';
import fc from 'fast-check';
import { accessGate } from '../src/access-gate.js';
import { type AccessRules, evaluateAccess, parseAccessRules } from '../src/access-rules.js';
import { seatKeyOf } from '../src/counting.js';
import { GroupSeatTally } from '../src/group-seat-tally.js';
import { cidrContains, parseAddress, parseCidr } from '../src/ip-cidr.js';
import { LeasePool } from '../src/lease-pool.js';
import type { AcquireRequest, ClientIdentity, Lease, PoolLicense } from '../src/types.js';

describe('addresses agree with net.BlockList', () => {
  const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255));
  const v6 = fc.array(fc.nat(0xffff), { minLength: 8, maxLength: 8 });
  const v4Text = (o: number[]) => o.join('.');
  const v6Text = (h: number[]) => h.map((x) => x.toString(16)).join(':');
  function maskV4(o: number[], len: number): number[] {
    const n = ((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0;
    const m = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
    const net = (n & m) >>> 0;
    return [net >>> 24, (net >>> 16) & 255, (net >>> 8) & 255, net & 255];
  }
  function maskV6(h: number[], len: number): number[] {
    return h.map((x, i) => {
      const bits = Math.max(0, Math.min(16, len - 16 * i));
      return bits === 0 ? 0 : x & ((0xffff << (16 - bits)) & 0xffff);
    });
  }

  test('IPv4 networks, with addresses as IPv4 and as IPv4-mapped IPv6', () => {
    fc.assert(
      fc.property(v4, fc.integer({ min: 0, max: 32 }), v4, fc.boolean(), (netOctets, len, addr, mapped) => {
        const net = v4Text(maskV4(netOctets, len));
        const list = new BlockList();
        list.addSubnet(net, len, 'ipv4');
        const address = mapped ? `::ffff:${v4Text(addr)}` : v4Text(addr);
        const expected = list.check(address, mapped ? 'ipv6' : 'ipv4');
        const cidr = parseCidr(`${net}/${len}`);
        assert.ok(typeof cidr !== 'string', String(cidr));
        assert.equal(cidrContains(cidr, parseAddress(address)!), expected);
      }),
      { numRuns: 500 },
    );
  });

  test('IPv6 networks', () => {
    fc.assert(
      fc.property(v6, fc.integer({ min: 0, max: 128 }), v6, fc.boolean(), (netHextets, len, addr, near) => {
        const net = v6Text(maskV6(netHextets, len));
        // Half the addresses share the network's first hextets, so "inside" is common too.
        const a = near ? [...maskV6(netHextets, len).slice(0, 4), ...addr.slice(4)] : addr;
        const list = new BlockList();
        list.addSubnet(net, len, 'ipv6');
        const cidr = parseCidr(`${net}/${len}`);
        assert.ok(typeof cidr !== 'string', String(cidr));
        assert.equal(cidrContains(cidr, parseAddress(v6Text(a))!), list.check(v6Text(a), 'ipv6'));
      }),
      { numRuns: 500 },
    );
  });
});

test('the parser either parses or throws LICTOR_E_ACCESS_RULES_INVALID naming a line of the text', () => {
  const word = fc.constantFrom(
    'allow',
    'deny',
    'reserve',
    'max',
    'group',
    'g1',
    'user',
    'host',
    'address',
    'anyone',
    'cad',
    'cad/render',
    '*',
    '2',
    '0',
    '10.0.0.0/8',
    '::1',
    '"a b"',
    '"',
    '#',
    'x',
  );
  const line = fc.array(fc.oneof(word, fc.string({ maxLength: 6 })), { maxLength: 6 }).map((w) => w.join(' '));
  fc.assert(
    fc.property(fc.array(line, { maxLength: 8 }), (lines) => {
      const text = lines.join('\n');
      try {
        parseAccessRules(text);
      } catch (error) {
        assert.ok(error instanceof LictorError, String(error));
        assert.equal(error.code, 'LICTOR_E_ACCESS_RULES_INVALID');
        const at = (error.details as { line: number }).line;
        assert.ok(at >= 1 && at <= Math.max(1, lines.length), `line ${at} of ${lines.length}`);
      }
    }),
    { numRuns: 1000 },
  );
});

/** A subject drawn from a small world where membership is easy to state. */
type Subject =
  | { kind: 'anyone' }
  | { kind: 'user'; names: string[] }
  | { kind: 'host'; names: string[] }
  | { kind: 'address'; nets: number[] }
  | { kind: 'group'; name: 'g1' | 'g2' };

interface World {
  groups: { g1: { users: string[]; nets: number[] }; g2: { users: string[]; nets: number[] } };
}

const USERS = ['u1', 'u2', 'u3'];
const HOSTS = ['h1', 'h2', 'h3'];
const subjectArb: fc.Arbitrary<Subject> = fc.oneof(
  fc.constant({ kind: 'anyone' as const }),
  fc.record({ kind: fc.constant('user' as const), names: fc.subarray(USERS, { minLength: 1 }) }),
  fc.record({ kind: fc.constant('host' as const), names: fc.subarray(HOSTS, { minLength: 1 }) }),
  fc.record({ kind: fc.constant('address' as const), nets: fc.subarray([0, 1, 2], { minLength: 1 }) }),
  fc.record({ kind: fc.constant('group' as const), name: fc.constantFrom('g1' as const, 'g2' as const) }),
);
const groupArb = fc.record({
  users: fc.subarray(USERS, { minLength: 1 }),
  nets: fc.subarray([0, 1, 2]),
});
const worldArb: fc.Arbitrary<World> = fc.record({ groups: fc.record({ g1: groupArb, g2: groupArb }) });

function subjectText(s: Subject): string {
  switch (s.kind) {
    case 'anyone':
      return 'anyone';
    case 'user':
    case 'host':
      return `${s.kind} ${s.names.join(' ')}`;
    case 'address':
      return `address ${s.nets.map((n) => `10.0.${n}.0/24`).join(' ')}`;
    case 'group':
      return `group ${s.name}`;
  }
}

function groupLines(world: World): string[] {
  return (['g1', 'g2'] as const).flatMap((g) => {
    const { users, nets } = world.groups[g];
    const lines = [`group ${g} user ${users.join(' ')}`];
    if (nets.length > 0) lines.push(`group ${g} address ${nets.map((n) => `10.0.${n}.0/24`).join(' ')}`);
    return lines;
  });
}

/** Third octet of a `10.0.x.y` address, or null. */
function netOf(address: string | undefined): number | null {
  const m = /^(?:::ffff:)?10\.0\.(\d+)\.\d+$/.exec(address ?? '');
  return m ? Number(m[1]) : null;
}

function belongs(world: World, s: Subject, c: { user: string; host: string; address?: string | undefined }): boolean {
  const net = netOf(c.address);
  switch (s.kind) {
    case 'anyone':
      return true;
    case 'user':
      return s.names.includes(c.user);
    case 'host':
      return s.names.includes(c.host);
    case 'address':
      return net !== null && s.nets.includes(net);
    case 'group': {
      const g = world.groups[s.name];
      return g.users.includes(c.user) || (net !== null && g.nets.includes(net));
    }
  }
}

const clientArb = fc.record({
  user: fc.constantFrom(...USERS),
  host: fc.constantFrom(...HOSTS),
  address: fc.option(
    fc
      .tuple(fc.nat(3), fc.nat(3), fc.boolean())
      .map(([n, h, mapped]) => `${mapped ? '::ffff:' : ''}10.0.${n}.${h + 1}`),
    { nil: undefined },
  ),
});

test('allow and deny follow the model, whatever the order of the lines', () => {
  const ruleArb = fc.record({
    action: fc.constantFrom('allow' as const, 'deny' as const),
    product: fc.constantFrom('P', 'Q', '*'),
    feature: fc.constantFrom(null, 'F'),
    subject: subjectArb,
  });
  fc.assert(
    fc.property(
      worldArb,
      fc.array(ruleArb, { maxLength: 6 }),
      clientArb,
      fc.constantFrom('P', 'Q'),
      fc.constantFrom(null, 'F', 'G'),
      fc.integer(),
      (world, raw, client, product, feature, seed) => {
        const rules = raw.filter((r) => !(r.product === '*' && r.feature !== null));
        const lines = [
          ...groupLines(world),
          ...rules.map((r) => `${r.action} ${r.product}${r.feature ? `/${r.feature}` : ''} ${subjectText(r.subject)}`),
        ];
        const covers = (r: (typeof rules)[number]) =>
          (r.product === '*' || r.product === product) && (r.feature === null || r.feature === feature);
        const denied = rules.some((r) => r.action === 'deny' && covers(r) && belongs(world, r.subject, client));
        const allows = rules.filter((r) => r.action === 'allow' && covers(r));
        const expected = !denied && (allows.length === 0 || allows.some((r) => belongs(world, r.subject, client)));

        const decision = evaluateAccess(parseAccessRules(lines.join('\n')), client, product, feature);
        assert.equal(decision.allowed, expected, `${lines.join(' | ')} → ${decision.reason}`);
        const shuffled = [...lines].sort((a, b) => ((a.length * 31 + seed) % 7) - ((b.length * 31 + seed) % 7));
        assert.equal(evaluateAccess(parseAccessRules(shuffled.join('\n')), client, product, feature).allowed, expected);
      },
    ),
    { numRuns: 500 },
  );
});

describe('reserve and max against the same pool without rules', () => {
  const LICENSES: PoolLicense[] = [
    {
      id: 'M',
      product: 'P',
      type: 'multi',
      seats: 3,
      features: [{ code: 'F', users: 2 }],
      expiresAt: null,
      source: 'software',
    },
    {
      id: 'S',
      product: 'P',
      type: 'single',
      seats: 2,
      features: [{ code: 'F', users: null }],
      expiresAt: null,
      source: 'token',
    },
  ];
  const limitArb = fc.record({
    action: fc.constantFrom('reserve' as const, 'max' as const),
    count: fc.integer({ min: 1, max: 3 }),
    feature: fc.constantFrom(null, 'F'),
    subject: subjectArb.filter((s) => s.kind !== 'anyone'),
  });
  const opArb = fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record({
        op: fc.constant('acquire' as const),
        client: clientArb,
        feature: fc.constantFrom(null, 'F'),
        n: fc.nat(2),
      }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('release' as const), pick: fc.nat() }) },
  );

  /** Units (license + seat) held in a scope by the clients a subject names, from the leases themselves. */
  function held(world: World, leases: Lease[], subject: Subject, feature: string | null): number {
    const units = new Set<string>();
    for (const l of leases) {
      if (feature !== null && l.feature !== feature) continue;
      if (belongs(world, subject, { ...l.client, address: l.address })) {
        units.add(`${l.licenseId}|${seatKeyOf(l.countedAs, l.client, l.address)}`);
      }
    }
    return units.size;
  }

  test('a rule only ever holds back a seat the pool would give, caps hold, reservations stay free for their group', () => {
    fc.assert(
      fc.property(
        worldArb,
        fc.array(limitArb, { maxLength: 4 }),
        fc.array(opArb, { maxLength: 30 }),
        (world, raw, ops) => {
          const seen = new Set<string>();
          const limits = raw.filter((r) => {
            const key = `${r.action}|${r.feature}|${subjectText(r.subject)}`;
            if (seen.has(key)) return false;
            seen.add(key);
            return true;
          });
          const lines = [
            ...groupLines(world),
            ...limits.map(
              (r) => `${r.action} ${r.count} P${r.feature ? `/${r.feature}` : ''} ${subjectText(r.subject)}`,
            ),
          ];
          const rules: AccessRules = parseAccessRules(lines.join('\n'));
          const now = () => 1_000;
          const pool = new LeasePool({ now });
          pool.replaceLicenses(LICENSES);
          const tally = new GroupSeatTally(rules, pool.leases());
          pool.observe(tally);
          const limitRules = rules.rules.filter((r) => r.action === 'reserve' || r.action === 'max');
          const tallyAgrees = () => {
            const leases = pool.leases();
            limits.forEach((r, i) => {
              assert.equal(tally.held(limitRules[i]!, 'P'), held(world, leases, r.subject, r.feature), lines[i]);
            });
          };
          for (const op of ops) {
            if (op.op === 'release') {
              const all = pool.leases();
              if (all.length > 0) pool.release(all[op.pick % all.length]!.id);
              tallyAgrees();
              continue;
            }
            const client: ClientIdentity = {
              host: op.client.host,
              user: op.client.user,
              process: `p${op.n}`,
              session: 's',
            };
            const req: AcquireRequest = {
              product: 'P',
              client,
              ...(op.feature === null ? {} : { feature: op.feature }),
              ...(op.client.address === undefined ? {} : { address: op.client.address }),
            };
            const twin = LeasePool.restore(pool.snapshot(), { now, licenses: LICENSES }).pool;
            const freeBefore = [null, 'F'].map((f) => pool.capacity('P', f).free);
            const got = pool.acquire(req, accessGate(tally, req, pool));
            const plain = twin.acquire(req);
            tallyAgrees();

            if (got.kind === 'granted') {
              assert.equal(plain.kind, 'granted');
              if (plain.kind === 'granted') assert.equal(got.lease.licenseId, plain.lease.licenseId);
            } else if (got.kind === 'exhausted') {
              assert.equal(plain.kind, got.limit === undefined ? 'exhausted' : 'granted', got.limit?.reason);
            } else {
              assert.equal(got.kind, plain.kind);
            }

            const leases = pool.leases();
            for (const r of limits) {
              if (r.action === 'max')
                assert.ok(held(world, leases, r.subject, r.feature) <= r.count, `cap of ${subjectText(r.subject)}`);
            }
            if (got.kind !== 'granted') continue;
            for (const [i, scope] of [null, 'F'].entries()) {
              const freeAfter = pool.capacity('P', scope).free;
              if (freeAfter >= freeBefore[i]!) continue;
              const owed = limits
                .filter((r) => r.action === 'reserve' && r.feature === scope && !belongs(world, r.subject, op.client))
                .reduce((sum, r) => sum + Math.max(0, r.count - held(world, leases, r.subject, scope)), 0);
              assert.ok(
                freeAfter >= owed,
                `scope ${scope}: ${freeAfter} free after the grant, ${owed} reserved for others`,
              );
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
