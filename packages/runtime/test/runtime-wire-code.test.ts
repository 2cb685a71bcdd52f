/**
 * The raw routes' body and query checks and the answers' serializers generated at build time
 * (`src/http/wire-code.generated.ts`, by `scripts/make-runtime-wire-code.ts`) are those of the
 * wire schemas: the committed file is exactly what the script makes of the schemas now, its
 * checks accept and refuse what TypeBox's compiled schemas do (check, session and seat bodies,
 * the events query, near the schema's edges: lengths in UTF-16 units and code points, patterns,
 * enums, integers, arrays and their sizes, unknown and missing properties), and its serializers
 * (check, session, seat, status) write fast-json-stringify's bytes.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  CheckAnswer,
  CheckBody,
  EventsQuery,
  RuntimeSeat,
  RuntimeSession,
  RuntimeStatus,
  RuntimeUnproven,
  SeatBody,
  SessionBody,
} from '@lictor/protocol/wire';
import fc from 'fast-check';
import fastJson from 'fast-json-stringify';
import { Compile } from 'typebox/schema';
import { runtimeWireCode, WIRE_CODE_FILE, withoutProof } from '../../../scripts/make-runtime-wire-code.js';
import {
  checkFieldsJson,
  isCheckBody,
  isEventsQuery,
  isSeatBody,
  isSessionBody,
  seatJson,
  sessionFieldsJson,
  statusJson,
  unprovenJson,
} from '../src/http/wire-code.generated.js';

test('the generated file is what scripts/make-runtime-wire-code.ts makes of the wire schemas now', () => {
  assert.equal(
    readFileSync(WIRE_CODE_FILE, 'utf8'),
    runtimeWireCode(),
    'stale: run node --import tsx scripts/make-runtime-wire-code.ts',
  );
});

/** Strings near the schemas' edges: empty, 1–2 characters, around 128/256/512, astral characters, nonce-like. */
const LENGTHS = [0, 1, 2, 21, 22, 23, 85, 86, 87, 127, 128, 129, 255, 256, 257, 511, 512, 513, 1024, 1025];
/** Fixed edge values: strings of these lengths in ASCII, astral characters and both, nonce-like, numbers. */
const EDGES: unknown[] = [
  ...LENGTHS.flatMap((n) => ['a'.repeat(n), '😀'.repeat(n), `${'😀'.repeat(Math.max(0, n - 1))}a`, '-'.repeat(n)]),
  'client',
  'server',
  'Client',
  'AAAAAAAAAAAAAAAAAAAAA=',
  'AAAAAAAAAAAAAAAAAAAAAA\n',
  ...[0, 1, -1, 32, 64, 33, 1.5, 2 ** 31 - 1, 2 ** 31, Number.NaN, Number.POSITIVE_INFINITY, '64', '42'],
  null,
  true,
  undefined,
  {},
  [],
  // Lists of managers: empty, 1, 16 and 17 members, a member too long, not a string.
  ...[0, 1, 16, 17].map((n) => Array.from({ length: n }, (_, i) => `http://127.0.0.1:${8790 + i}`)),
  ['a'.repeat(257)],
  ['😀'.repeat(256)],
  [1],
  [null],
];
const edgeString = fc.oneof(
  fc.constantFrom('', 'a', 'ERP', 'client', 'server', 'lictor-ed25519:x', '😀', 'é'),
  fc.string({ maxLength: 3 }),
  fc.string({ unit: 'grapheme', maxLength: 3 }),
  fc
    .constantFrom(127, 128, 129, 255, 256, 257, 511, 512, 513)
    .chain((n) => fc.constantFrom('a'.repeat(n), '😀'.repeat(n), `${'😀'.repeat(n - 1)}a`)),
  fc.stringMatching(/^[A-Za-z0-9_-]{20,88}$/),
  fc.string({ unit: 'binary', maxLength: 90 }),
);
const edgeValue = fc.oneof(
  edgeString,
  fc.constantFrom(0, 1, -1, 32, 64, 33, 1.5, 2 ** 31 - 1, 2 ** 31, Number.NaN, null, true, undefined),
  fc.integer(),
  fc.double(),
  fc.constant({}),
  fc.constant([]),
  fc.array(edgeString, { maxLength: 17 }),
);
const names = ['publicKey', 'product', 'role', 'bitness', 'feature', 'pid', 'osSession', 'nonce', 'managers'];

/** A valid body of the schema with some of its members replaced, removed, or one added. */
function bodies(valid: Record<string, unknown>) {
  return fc
    .record({
      changes: fc.array(fc.tuple(fc.constantFrom(...names, 'other', '__proto__'), edgeValue), { maxLength: 3 }),
      removed: fc.array(fc.constantFrom(...names), { maxLength: 2 }),
    })
    .map(({ changes, removed }) => {
      // Own properties, `__proto__` too, as JSON.parse makes them.
      const members = new Map<string, unknown>(Object.entries(valid));
      for (const [name, value] of changes) members.set(name, value);
      for (const name of removed) members.delete(name);
      return Object.fromEntries(members);
    });
}

const nonce = 'AAAAAAAAAAAAAAAAAAAAAA';
const checkBody = { publicKey: 'lictor-ed25519:k', product: 'ERP', role: 'client', feature: 'reports', nonce };
const sessionBody = { ...checkBody, bitness: 64, pid: 42, osSession: '7' };
const seatBody = {
  publicKey: 'lictor-ed25519:k',
  product: 'CAD',
  feature: 'x',
  managers: ['http://127.0.0.1:8790'],
  pid: 7,
  nonce,
};

test("the generated body checks accept and refuse what TypeBox's compiled schemas do", () => {
  const cases = [
    { name: 'CheckBody', generated: isCheckBody, typebox: Compile(CheckBody), valid: checkBody },
    { name: 'SessionBody', generated: isSessionBody, typebox: Compile(SessionBody), valid: sessionBody },
    { name: 'SeatBody', generated: isSeatBody, typebox: Compile(SeatBody), valid: seatBody },
    { name: 'EventsQuery', generated: isEventsQuery, typebox: Compile(EventsQuery), valid: { product: 'ERP' } },
  ];
  for (const { name, generated, typebox, valid } of cases) {
    assert.equal(generated(valid), true, `${name}: a valid body`);
    // Every member set to every edge value, then random combinations.
    for (const member of [...names, 'other']) {
      for (const value of EDGES) {
        const body = { ...valid, [member]: value };
        assert.equal(generated(body), typebox.Check(body), `${name}: ${member} = ${JSON.stringify(value)}`);
      }
      const { [member]: _, ...without } = valid as Record<string, unknown>;
      assert.equal(generated(without), typebox.Check(without), `${name}: without ${member}`);
    }
    let accepted = 0;
    fc.assert(
      fc.property(fc.oneof(bodies(valid), edgeValue), (body) => {
        const expected = typebox.Check(body);
        if (expected) accepted++;
        assert.equal(generated(body), expected, `${name}: ${JSON.stringify(body)}`);
      }),
      { numRuns: 3000 },
    );
    assert.ok(accepted > 50, `${name}: accepted bodies were tried too (${accepted})`);
  }
});

test("the generated serializers write fast-json-stringify's bytes", () => {
  const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('a"b\\c\n', '\u2028', '😀'));
  const nullable = fc.option(text, { nil: null });
  const time = fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
  const granted = fc.record({
    product: text,
    feature: nullable,
    serial: text,
    licenseId: text,
    type: text,
    users: fc.option(fc.integer(), { nil: null }),
    expiresAt: fc.option(time, { nil: null }),
    file: text,
  });
  const session = fc.record({
    id: text,
    product: text,
    feature: nullable,
    serial: text,
    licenseId: text,
    licenseFile: text,
    pid: fc.integer({ min: 1 }),
    osSession: text,
    openedAt: time,
  });
  const unproven = fc.record({ reason: fc.constantFrom('no-key', 'key-unavailable'), message: text });
  /** Members no schema names, which both leave out. */
  const extra = fc.dictionary(fc.constantFrom('other', 'x', 'id2'), text, { maxKeys: 2 });
  const integer = fc.oneof(fc.integer(), fc.constantFrom(2 ** 53, -0));
  const seat = fc.record({
    id: text,
    leaseId: text,
    product: text,
    feature: nullable,
    manager: text,
    state: fc.constantFrom('active', 'lost', 'released'),
    expiresAt: time,
    heartbeatIntervalMs: fc.oneof(fc.double({ min: 0.001, max: 1e9, noNaN: true }), fc.integer({ min: 1 })),
    pid: fc.option(fc.integer({ min: 1 }), { nil: null }),
    proof: fc.record({
      license: fc.oneof(text, fc.constant('-----BEGIN LICTOR LICENSE-----\nabc\n-----END LICTOR LICENSE-----\n')),
      key: fc.constant('container'),
      signature: text,
      signed: text,
    }),
  });
  const file = fc.record(
    {
      file: text,
      state: fc.constantFrom('available', 'superseded', 'unavailable'),
      serial: nullable,
      activationId: nullable,
      code: text,
      reason: text,
    },
    { requiredKeys: ['file', 'state', 'serial', 'activationId'] },
  );
  const status = fc.record({
    runtime: fc.record({
      id: text,
      version: text,
      startedAt: time,
      stateDir: text,
      socket: nullable,
      url: nullable,
    }),
    products: fc.array(
      fc.record({
        product: text,
        vendorKeyId: text,
        role: fc.constantFrom('client', 'server'),
        bitness: integer,
        files: fc.array(file, { maxLength: 3 }),
      }),
      { maxLength: 3 },
    ),
    sessions: fc.record({ count: integer, processes: integer }),
    seats: fc.record({ count: integer }),
  });
  const check = fastJson(withoutProof(CheckAnswer));
  const sessionFields = fastJson(withoutProof(RuntimeSession));
  const unprovenFields = fastJson(RuntimeUnproven);
  const seatFields = fastJson(RuntimeSeat);
  const statusFields = fastJson(RuntimeStatus);
  fc.assert(
    fc.property(granted, session, unproven, seat, status, extra, (g, s, u, held, st, more) => {
      const answer = { ...g, proof: null };
      assert.equal(checkFieldsJson(answer), check(answer));
      const opened = { ...s, proof: null };
      assert.equal(sessionFieldsJson(opened), sessionFields(opened));
      assert.equal(unprovenJson(u as Parameters<typeof unprovenJson>[0]), unprovenFields(u));
      const taken = { ...more, ...held };
      assert.equal(seatJson(taken as Parameters<typeof seatJson>[0]), seatFields(taken));
      const read = { ...more, ...st, runtime: { ...more, ...st.runtime } };
      assert.equal(statusJson(read as Parameters<typeof statusJson>[0]), statusFields(read));
    }),
    { numRuns: 500 },
  );
});
