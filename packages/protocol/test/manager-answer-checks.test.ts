/**
 * The checks of the License Manager's answers generated at build time
 * (`src/wire-checks/manager-answers.generated.ts`, by `scripts/make-manager-answer-checks.ts`),
 * which the SDK's manager client uses instead of the wire schemas: the committed file is exactly
 * what the script makes of the schemas now, and each check accepts and refuses what TypeBox's
 * `Check` of its schema does, for a valid answer and for it with each property (and each property
 * of its nested objects) removed or replaced by values near the schemas' edges.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Check } from 'typebox/schema';
import {
  MANAGER_ANSWERS,
  MANAGER_CHECKS_FILE,
  managerAnswerChecks,
} from '../../../scripts/make-manager-answer-checks.js';
import {
  isAcquireAnswer,
  isBorrowAnswer,
  isErrorBody,
  isHeartbeatAnswer,
  isManagerStatus,
} from '../src/wire-checks/manager-answers.generated.js';

test('the generated file is what scripts/make-manager-answer-checks.ts makes of the wire schemas now', () => {
  assert.equal(
    readFileSync(MANAGER_CHECKS_FILE, 'utf8'),
    managerAnswerChecks(),
    'stale: run node --import tsx scripts/make-manager-answer-checks.ts',
  );
});

const time = '2030-01-02T03:04:05.000Z';
const lease = {
  id: 'l-1',
  product: 'ERP',
  feature: null,
  licenseId: 'lic-1',
  source: 'software',
  grantedAt: time,
  expiresAt: time,
  heartbeatIntervalMs: 20_000,
  graceMs: 60_000,
};
const proof = { key: 'container', license: 'x'.repeat(100), signature: 's'.repeat(86) };

/** A valid answer of each schema (as a manager sends it), found valid by TypeBox first. */
const VALID: Record<keyof typeof MANAGER_ANSWERS, Record<string, unknown>> = {
  AcquireAnswer: { lease, renewed: false, proof },
  HeartbeatAnswer: { lease, proof: { key: 'session', mac: 'm'.repeat(43) } },
  BorrowAnswer: {
    borrow: {
      id: 'b-1',
      product: 'ERP',
      feature: 'reports',
      licenseId: 'lic-1',
      serial: 'LX-7K2M-9QXD-4RTA',
      computer: { machine: '0123456789abcdef', hardware: 'AbCdEfGh_-1234' },
      grantedAt: time,
      until: time,
    },
    proof,
  },
  ManagerStatus: {
    manager: { id: 'm-1', version: '0.1.0' },
    heartbeatIntervalMs: 20_000,
    leaseTtlMs: 60_000,
    products: [{ product: 'ERP', inUse: 1, total: 5 }],
    proof,
  },
  ErrorBody: { code: 'LICTOR_E_SEATS_EXHAUSTED', message: 'all 5 seats are in use', details: { inUse: 5, total: 5 } },
};

/** The generated check of each schema. */
const CHECKS = {
  AcquireAnswer: isAcquireAnswer,
  HeartbeatAnswer: isHeartbeatAnswer,
  BorrowAnswer: isBorrowAnswer,
  ManagerStatus: isManagerStatus,
  ErrorBody: isErrorBody,
};

/** Values near the schemas' edges, put in place of each property. */
const EDGES: unknown[] = [
  undefined,
  null,
  true,
  0,
  -1,
  1,
  1.5,
  2 ** 31,
  Number.NaN,
  '',
  'a',
  'x'.repeat(129),
  '😀'.repeat(65),
  'x'.repeat(65_537),
  '2030-01-02T03:04:05Z',
  '2030-01-02 03:04:05',
  '2030-02-30T03:04:05Z',
  '0123456789abcdeg',
  '0123456789abcdef0',
  'AbCdEfGh_-123',
  'AbCdEfGh_-1234',
  'software',
  'token',
  'container',
  'session',
  {},
  [],
  [{}],
];

/** `value` and every variant with one property (at any depth in objects and arrays) removed or replaced by an edge value. */
function variants(value: unknown): unknown[] {
  if (Array.isArray(value)) {
    return [value, ...value.flatMap((item, i) => variants(item).map((v) => value.map((x, j) => (i === j ? v : x))))];
  }
  if (value === null || typeof value !== 'object') return [value, ...EDGES];
  const object = value as Record<string, unknown>;
  const out: unknown[] = [object];
  for (const key of Object.keys(object)) {
    const { [key]: _removed, ...rest } = object;
    out.push(rest);
    for (const v of variants(object[key]).slice(1)) out.push({ ...object, [key]: v });
  }
  out.push({ ...object, more: 'a newer peer may send more' });
  return out;
}

test('each generated check accepts and refuses what TypeBox checks of its schema', () => {
  for (const [name, schema] of Object.entries(MANAGER_ANSWERS) as [keyof typeof MANAGER_ANSWERS, object][]) {
    const check: (value: unknown) => boolean = CHECKS[name];
    assert.equal(Check(schema as never, VALID[name]), true, `${name}: the valid answer is valid`);
    const all = [...variants(VALID[name]), ...EDGES];
    let refused = 0;
    for (const value of all) {
      const expected = Check(schema as never, value);
      if (!expected) refused++;
      assert.equal(check(value), expected, `${name}: ${JSON.stringify(value)?.slice(0, 300)}`);
    }
    assert.ok(
      refused > 20 && refused < all.length,
      `${name}: variants refused and accepted (${refused} of ${all.length} refused)`,
    );
  }
});
