/**
 * The License Manager's wire contract, run against the real manager
 * (`manager/test/manager-contract.test.ts`) and against the SDK's fake
 * (`manager-contract-fake.test.ts`): every answer is checked against protocol's schemas, over a
 * real socket, then the SDK client is used on it. A fake that drifts from the manager fails here.
 * Lease answers to a request that carries a nonce must carry a proof over it that verifies with
 * the tests' vendor key (signed seats). Borrowed seats too: lent signed for the borrower's
 * computer, counted, refused as the manager refuses them, given back with the borrower's secret,
 * and accepted offline by `openLicensing` on that computer.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import {
  ANSWER_NONCE_HEADER,
  ANSWER_SESSION_HEADER,
  type AnswerProof,
  answerSignatureValid,
  BORROW_RETURN_HEADER,
  borrowReturnKey,
  borrowReturnSecret,
  decodeLicenseFile,
  ERRORS,
  type ErrorCode,
  type HardwareParams,
  randomBytes,
  toBase64Url,
  verifyAnswer,
} from '@lictor/protocol';
import {
  AcquireAnswer,
  BorrowAnswer,
  ErrorBody,
  HeartbeatAnswer,
  ManagerStatus,
  type TSchema,
  wireProblem,
} from '@lictor/protocol/wire';
import { connectManager, openLicensing } from '../src/index.js';
import { VENDOR } from './signed-answers.js';

/** A License Manager to test. */
export interface ContractSubject {
  /**
   * Starts a manager on 127.0.0.1 serving product `ACME` (with feature `reports`, not counted
   * on its own) with `seats` application seats and nothing else, proving its answers with a
   * genuine license of `VENDOR` (`signed-answers.ts`, serial `LX-7K2M-9QXD-4RTA`); stopped after
   * the test. With `terms.borrowDays` its license lends seats for that many days at most (and the
   * license that proves its answers says so); without, it lends none. Returns its base URL.
   */
  start(t: TestContext, seats: number, terms?: { borrowDays?: number }): Promise<string>;
}

const DAY = 86_400_000;
/** The serial of the license that proves the subject's answers. */
const SERIAL = 'LX-7K2M-9QXD-4RTA';
/** A borrowing computer, as it names itself in a borrow request. */
const LAPTOP = { machine: '0123456789abcdef', hardware: 'AAAAAAAAAAAAAA' };
/** The same computer as the SDK sees it. */
const LAPTOP_HW: HardwareParams = {
  platform: 'linux',
  osName: 'Ubuntu',
  osVersion: '24.04',
  hostname: 'laptop-7',
  board: 'LENOVO 21A0',
  ramBytes: 16 * 1024 ** 3,
  bios: 'LENOVO N3AET75W',
  cpus: ['Intel Core i7-1185G7 (4 cores)'],
  nics: ['00:11:22:33:44:55'],
  disks: ['S4EWNX0R123456'],
};
const LAPTOP_SDK = {
  hardware: async () => LAPTOP_HW,
  machineSecret: async () => new Uint8Array(32).fill(7),
};

/** A borrow request body of `ACME` for `days` from `computer`, with the return key of `secret`. */
function borrowBody(days: number, returnSecret: string, over: Record<string, unknown> = {}) {
  return {
    product: 'ACME',
    days,
    client: client('b'),
    computer: LAPTOP,
    returnKey: borrowReturnKey(returnSecret),
    ...over,
  };
}

const client = (process: string) => ({ host: 'host-1', user: 'ann', process, session: '1' });

interface Answer {
  status: number;
  json: unknown;
  text: string;
}

async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const res = await fetch(new URL(path, base), {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, text, json: text === '' ? undefined : JSON.parse(text) };
}

/** Asserts `answer` is `status` with a `schema` body, and returns the body. */
function expectMessage<T>(answer: Answer, status: number, schema: TSchema): T {
  assert.equal(answer.status, status, answer.text);
  assert.equal(wireProblem(schema, answer.json), null, answer.text);
  return answer.json as T;
}

/** Asserts `answer` is the refusal `code` with its registered status. */
function expectRefusal(answer: Answer, code: ErrorCode): ErrorBody {
  const body = expectMessage<ErrorBody>(answer, ERRORS[code].status, ErrorBody);
  assert.equal(body.code, code, answer.text);
  return body;
}

/** A fresh nonce, as a client sends it. */
const nonce = () => toBase64Url(randomBytes(24));

/**
 * Asserts `answer` (a lease answer) carries a proof, over `sent` and for `purpose`, by a genuine
 * license of `VENDOR` that covers `ACME` (and `feature`).
 */
function expectProven(
  answer: object,
  purpose: 'lease' | 'heartbeat' | 'status',
  sent: string,
  feature: string | null = null,
) {
  const { proof, ...unsigned } = answer as { proof?: unknown };
  assert.ok(proof !== undefined, 'the answer carries a proof');
  const license = verifyAnswer({
    purpose,
    nonce: sent,
    answer: unsigned,
    proof,
    publicKey: VENDOR.publicKey,
    scope: { product: 'ACME', feature, now: Date.now() },
  });
  assert.ok(license.containerKeys, 'the license names the key that signed');
}

/** Registers the contract suite for `subject` under `name`. */
export function managerContract(name: string, subject: ContractSubject): void {
  describe(`License Manager wire contract: ${name}`, () => {
    test('a seat is granted (201), the same client gets it back (200), a heartbeat keeps it', async (t) => {
      const url = await subject.start(t, 2);
      const first = expectMessage<AcquireAnswer>(
        await call(url, 'POST', '/v1/leases', { product: 'ACME', client: client('a') }),
        201,
        AcquireAnswer,
      );
      assert.equal(first.renewed, false);
      assert.equal(first.lease.product, 'ACME');
      assert.equal(first.lease.feature, null);
      assert.ok(Date.parse(first.lease.expiresAt) > Date.parse(first.lease.grantedAt));
      const again = expectMessage<AcquireAnswer>(
        await call(url, 'POST', '/v1/leases', { product: 'ACME', client: client('a'), leaseId: first.lease.id }),
        200,
        AcquireAnswer,
      );
      assert.equal(again.renewed, true);
      assert.equal(again.lease.id, first.lease.id);
      const beat = expectMessage<HeartbeatAnswer>(
        await call(url, 'POST', `/v1/leases/${encodeURIComponent(first.lease.id)}/heartbeat`),
        200,
        HeartbeatAnswer,
      );
      assert.equal(beat.lease.id, first.lease.id);
    });

    test('a lease answer proves the seat over the nonce sent (grant, renewal, heartbeat); without a nonce it carries no proof', async (t) => {
      const url = await subject.start(t, 2);
      const n1 = nonce();
      const first = expectMessage<AcquireAnswer>(
        await call(url, 'POST', '/v1/leases', { product: 'ACME', client: client('a') }, { [ANSWER_NONCE_HEADER]: n1 }),
        201,
        AcquireAnswer,
      );
      expectProven(first, 'lease', n1);
      assert.equal(first.proof?.key, 'container');
      const n2 = nonce();
      const again = expectMessage<AcquireAnswer>(
        await call(url, 'POST', '/v1/leases', { product: 'ACME', client: client('a') }, { [ANSWER_NONCE_HEADER]: n2 }),
        200,
        AcquireAnswer,
      );
      expectProven(again, 'lease', n2);
      const n3 = nonce();
      const path = `/v1/leases/${encodeURIComponent(first.lease.id)}/heartbeat`;
      const beat = expectMessage<HeartbeatAnswer>(
        await call(url, 'POST', path, undefined, { [ANSWER_NONCE_HEADER]: n3 }),
        200,
        HeartbeatAnswer,
      );
      expectProven(beat, 'heartbeat', n3);
      // A proof is for its own nonce only.
      assert.throws(() => expectProven(beat, 'heartbeat', n2), { code: 'LICTOR_E_ANSWER_UNPROVEN' });
      const n4 = nonce();
      expectProven(
        expectMessage<AcquireAnswer>(
          await call(
            url,
            'POST',
            '/v1/leases',
            { product: 'ACME', feature: 'reports', client: client('b') },
            { [ANSWER_NONCE_HEADER]: n4 },
          ),
          201,
          AcquireAnswer,
        ),
        'lease',
        n4,
        'reports',
      );
      const plain = expectMessage<HeartbeatAnswer>(await call(url, 'POST', path), 200, HeartbeatAnswer);
      assert.equal(plain.proof, undefined);
    });

    test('a malformed nonce or session header is refused (400), not answered without proof', async (t) => {
      const url = await subject.start(t, 2);
      const malformed: Record<string, string>[] = [
        { [ANSWER_NONCE_HEADER]: 'short' },
        { [ANSWER_NONCE_HEADER]: 'AAAAAAAAAAAAAAAAAAAAAB' }, // 16 bytes, not the canonical spelling
        { [ANSWER_NONCE_HEADER]: nonce(), [ANSWER_SESSION_HEADER]: 'a.b.c' },
      ];
      for (const headers of malformed) {
        expectRefusal(
          await call(url, 'POST', '/v1/leases', { product: 'ACME', client: client('a') }, headers),
          'LICTOR_E_INVALID_INPUT',
        );
      }
    });

    test('a feature seat names its feature', async (t) => {
      const url = await subject.start(t, 2);
      const answer = expectMessage<AcquireAnswer>(
        await call(url, 'POST', '/v1/leases', { product: 'ACME', feature: 'reports', client: client('a') }),
        201,
        AcquireAnswer,
      );
      assert.equal(answer.lease.feature, 'reports');
    });

    test('release answers 204 without a body; the lease is then unknown (404)', async (t) => {
      const url = await subject.start(t, 2);
      const { lease } = expectMessage<AcquireAnswer>(
        await call(url, 'POST', '/v1/leases', { product: 'ACME', client: client('a') }),
        201,
        AcquireAnswer,
      );
      const path = `/v1/leases/${encodeURIComponent(lease.id)}`;
      const released = await call(url, 'DELETE', path);
      assert.equal(released.status, 204);
      assert.equal(released.text, '');
      expectRefusal(await call(url, 'DELETE', path), 'LICTOR_E_LEASE_UNKNOWN');
      expectRefusal(await call(url, 'POST', `${path}/heartbeat`), 'LICTOR_E_LEASE_UNKNOWN');
    });

    test('status counts the seats of each product', async (t) => {
      const url = await subject.start(t, 2);
      expectMessage(
        await call(url, 'POST', '/v1/leases', { product: 'ACME', client: client('a') }),
        201,
        AcquireAnswer,
      );
      const status = expectMessage<ManagerStatus>(await call(url, 'GET', '/v1/status'), 200, ManagerStatus);
      assert.deepEqual(
        status.products.find((p) => p.product === 'ACME'),
        { product: 'ACME', inUse: 1, total: 2 },
      );
      assert.ok(status.heartbeatIntervalMs < status.leaseTtlMs);
      assert.equal(status.proof, undefined, 'no nonce, no proof');
      // With a nonce: proven by the license of the product asked for, over that nonce.
      const sent = nonce();
      const proven = expectMessage<ManagerStatus>(
        await call(url, 'GET', '/v1/status?product=ACME', undefined, { [ANSWER_NONCE_HEADER]: sent }),
        200,
        ManagerStatus,
      );
      assert.deepEqual(proven.products, [{ product: 'ACME', inUse: 1, total: 2 }]);
      expectProven(proven, 'status', sent);
      // A product it holds no license of: nothing listed, still proven by its license (a genuine manager).
      const other = nonce();
      const none = expectMessage<ManagerStatus>(
        await call(url, 'GET', '/v1/status?product=OTHER', undefined, { [ANSWER_NONCE_HEADER]: other }),
        200,
        ManagerStatus,
      );
      assert.deepEqual(none.products, []);
      const { proof, ...unsigned } = none;
      assert.ok(proof?.license !== undefined && proof.signature !== undefined);
      const license = decodeLicenseFile(proof.license, VENDOR.publicKey);
      assert.ok(answerSignatureValid(license, proof as AnswerProof, 'status', other, unsigned));
      expectRefusal(
        await call(url, 'GET', '/v1/status', undefined, { [ANSWER_NONCE_HEADER]: 'not a nonce' }),
        'LICTOR_E_INVALID_INPUT',
      );
    });

    test('refusals: seats exhausted (409 with inUse/total), not licensed (403), malformed request (400)', async (t) => {
      const url = await subject.start(t, 1);
      expectMessage(
        await call(url, 'POST', '/v1/leases', { product: 'ACME', client: client('a') }),
        201,
        AcquireAnswer,
      );
      const exhausted = expectRefusal(
        await call(url, 'POST', '/v1/leases', { product: 'ACME', client: client('b') }),
        'LICTOR_E_SEATS_EXHAUSTED',
      );
      assert.deepEqual(exhausted.details, { inUse: 1, total: 1 });
      expectRefusal(
        await call(url, 'POST', '/v1/leases', { product: 'OTHER', client: client('b') }),
        'LICTOR_E_NOT_LICENSED',
      );
      expectRefusal(await call(url, 'POST', '/v1/leases', { product: 'ACME' }), 'LICTOR_E_INVALID_INPUT');
      expectRefusal(
        await call(url, 'POST', '/v1/leases', { product: 'ACME', client: { ...client('b'), host: '' } }),
        'LICTOR_E_INVALID_INPUT',
      );
    });

    test('a lease id that is not the client’s own is ignored: a new seat is granted', async (t) => {
      const url = await subject.start(t, 2);
      const answer = expectMessage<AcquireAnswer>(
        await call(url, 'POST', '/v1/leases', { product: 'ACME', client: client('a'), leaseId: 'gone-lease' }),
        201,
        AcquireAnswer,
      );
      assert.notEqual(answer.lease.id, 'gone-lease');
    });

    test('borrowing: 201 with a seat signed for this computer (purpose borrow), counted; the same computer again 409 LICTOR_E_BORROW_HELD; given back with its secret (204), then unknown (404)', async (t) => {
      const url = await subject.start(t, 2, { borrowDays: 14 });
      const n = nonce();
      const secret = borrowReturnSecret(new Uint8Array(32).fill(1), n);
      const before = Date.now();
      const answer = expectMessage<BorrowAnswer>(
        await call(url, 'POST', '/v1/borrows', borrowBody(5, secret), { [ANSWER_NONCE_HEADER]: n }),
        201,
        BorrowAnswer,
      );
      const seat = answer.borrow;
      assert.deepEqual([seat.product, seat.feature, seat.serial, seat.computer], ['ACME', null, SERIAL, LAPTOP]);
      const granted = Date.parse(seat.grantedAt);
      assert.ok(granted >= before - 1000 && granted <= Date.now() + 1000, seat.grantedAt);
      assert.equal(Date.parse(seat.until) - granted, 5 * DAY);
      // Signed over the nonce by the license that proves it, which allows borrowing that long.
      const { proof, ...unsigned } = answer;
      assert.ok(proof !== undefined, 'a borrowed seat is always proven');
      const license = verifyAnswer({
        purpose: 'borrow',
        nonce: n,
        answer: unsigned,
        proof,
        publicKey: VENDOR.publicKey,
        scope: { product: 'ACME', feature: null, now: Date.now() },
      });
      assert.equal(license.serial, seat.serial);
      assert.equal(license.licenses.find((l) => l.product === 'ACME')?.borrowDays, 14);
      assert.throws(
        () =>
          verifyAnswer({
            purpose: 'lease',
            nonce: n,
            answer: unsigned,
            proof,
            publicKey: VENDOR.publicKey,
            scope: { product: 'ACME', feature: null, now: Date.now() },
          }),
        { code: 'LICTOR_E_ANSWER_UNPROVEN' },
        'a borrow proof is not a lease proof',
      );
      const status = expectMessage<ManagerStatus>(await call(url, 'GET', '/v1/status'), 200, ManagerStatus);
      assert.equal(status.products.find((p) => p.product === 'ACME')?.inUse, 1, 'a borrowed seat is in use');

      const held = expectRefusal(
        await call(url, 'POST', '/v1/borrows', borrowBody(3, secret), { [ANSWER_NONCE_HEADER]: nonce() }),
        'LICTOR_E_BORROW_HELD',
      );
      assert.deepEqual(held.details, { id: seat.id, until: seat.until });

      const path = `/v1/borrows/${encodeURIComponent(seat.id)}`;
      // Only the borrower's secret gives it back; a borrowed seat is not a lease.
      expectRefusal(
        await call(url, 'DELETE', path, undefined, { [BORROW_RETURN_HEADER]: borrowReturnSecret(randomBytes(32), n) }),
        'LICTOR_E_BORROW_UNKNOWN',
      );
      expectRefusal(await call(url, 'DELETE', path), 'LICTOR_E_INVALID_INPUT');
      expectRefusal(
        await call(url, 'POST', `/v1/leases/${encodeURIComponent(seat.id)}/heartbeat`),
        'LICTOR_E_LEASE_UNKNOWN',
      );
      expectRefusal(await call(url, 'DELETE', `/v1/leases/${encodeURIComponent(seat.id)}`), 'LICTOR_E_LEASE_UNKNOWN');
      const back = await call(url, 'DELETE', path, undefined, { [BORROW_RETURN_HEADER]: secret });
      assert.equal(back.status, 204, back.text);
      assert.equal(back.text, '');
      expectRefusal(
        await call(url, 'DELETE', path, undefined, { [BORROW_RETURN_HEADER]: secret }),
        'LICTOR_E_BORROW_UNKNOWN',
      );
      const after = expectMessage<ManagerStatus>(await call(url, 'GET', '/v1/status'), 200, ManagerStatus);
      assert.equal(after.products.find((p) => p.product === 'ACME')?.inUse, 0, 'given back, the seat is free');
    });

    test('borrowing refusals: no nonce or a malformed body (400), too long (403 LICTOR_E_BORROW_NOT_ALLOWED with maxDays), not licensed (403), seats exhausted (409)', async (t) => {
      const url = await subject.start(t, 1, { borrowDays: 7 });
      const secret = borrowReturnSecret(new Uint8Array(32).fill(2), nonce());
      const post = (body: unknown, headers: Record<string, string> = { [ANSWER_NONCE_HEADER]: nonce() }) =>
        call(url, 'POST', '/v1/borrows', body, headers);
      expectRefusal(await post(borrowBody(3, secret), {}), 'LICTOR_E_INVALID_INPUT');
      expectRefusal(await post(borrowBody(0, secret)), 'LICTOR_E_INVALID_INPUT');
      expectRefusal(
        await post(borrowBody(3, secret, { computer: { machine: 'x', hardware: 'y' } })),
        'LICTOR_E_INVALID_INPUT',
      );
      expectRefusal(await post({ ...borrowBody(3, secret), returnKey: 'short' }), 'LICTOR_E_INVALID_INPUT');
      const tooLong = expectRefusal(await post(borrowBody(8, secret)), 'LICTOR_E_BORROW_NOT_ALLOWED');
      assert.deepEqual(tooLong.details, { maxDays: 7 });
      expectRefusal(await post(borrowBody(3, secret, { product: 'OTHER' })), 'LICTOR_E_NOT_LICENSED');
      // The one seat is taken by a lease: nothing to lend.
      expectMessage(
        await call(url, 'POST', '/v1/leases', { product: 'ACME', client: client('a') }),
        201,
        AcquireAnswer,
      );
      const exhausted = expectRefusal(await post(borrowBody(3, secret)), 'LICTOR_E_SEATS_EXHAUSTED');
      assert.deepEqual(exhausted.details, { inUse: 1, total: 1 });
    });

    test('a manager whose license sets no borrowing days lends nothing (403, maxDays 0)', async (t) => {
      const url = await subject.start(t, 2);
      const secret = borrowReturnSecret(new Uint8Array(32).fill(3), nonce());
      const refused = expectRefusal(
        await call(url, 'POST', '/v1/borrows', borrowBody(1, secret), { [ANSWER_NONCE_HEADER]: nonce() }),
        'LICTOR_E_BORROW_NOT_ALLOWED',
      );
      assert.deepEqual(refused.details, { maxDays: 0 });
    });

    test('the SDK client borrows a seat, openLicensing accepts it offline on that computer, and the client gives it back', async (t) => {
      const url = await subject.start(t, 2, { borrowDays: 14 });
      const store = await mkdtemp(join(tmpdir(), 'lictor-contract-borrow-'));
      const manager = await connectManager({
        publicKey: VENDOR.publicKey,
        managers: [url],
        configPaths: [],
        env: {},
        discovery: false,
        timeoutMs: 10_000,
      });
      // Closed before its directory is removed (after-hooks run in the order they were added), so
      // that nothing it writes as it closes lands in a directory being removed.
      t.after(async () => {
        await manager.close();
        await rm(store, { recursive: true, force: true });
      });
      const seat = await manager.borrow({ product: 'ACME', feature: 'reports', days: 3, store, ...LAPTOP_SDK });
      assert.deepEqual([seat.product, seat.feature, seat.serial, seat.manager], ['ACME', 'reports', SERIAL, url]);
      assert.equal(seat.until.getTime() - seat.grantedAt.getTime(), 3 * DAY);
      assert.deepEqual(await readdir(store), [`borrowed_${seat.id}.borrow`]);
      await assert.rejects(manager.borrow({ product: 'ACME', feature: 'reports', days: 3, store, ...LAPTOP_SDK }), {
        code: 'LICTOR_E_BORROW_HELD',
      });
      await assert.rejects(manager.borrow({ product: 'ACME', days: 15, store, ...LAPTOP_SDK }), {
        code: 'LICTOR_E_BORROW_NOT_ALLOWED',
      });

      const licensing = await openLicensing({
        product: 'ACME',
        publicKey: VENDOR.publicKey.text,
        paths: [store],
        watch: false,
        ...LAPTOP_SDK,
      });
      t.after(() => licensing.close());
      const ok = licensing.check('reports');
      assert.equal(ok.ok, true, JSON.stringify(ok));

      const back = await manager.returnBorrow({
        product: 'ACME',
        feature: 'reports',
        store,
        machineSecret: LAPTOP_SDK.machineSecret,
      });
      assert.deepEqual([back.returned, back.id], [true, seat.id]);
      assert.deepEqual(await readdir(store), []);
      assert.equal((await manager.status('ACME')).products.find((p) => p.product === 'ACME')?.inUse, 0);
    });

    test('the SDK client acquires, reads the status and releases', async (t) => {
      const url = await subject.start(t, 2);
      const manager = await connectManager({
        publicKey: VENDOR.publicKey,
        managers: [url],
        configPaths: [],
        env: {},
        timeoutMs: 5000,
      });
      t.after(() => manager.close());
      const lease = await manager.acquire('ACME', 'reports');
      assert.equal(lease.state, 'active');
      assert.equal(lease.manager, url);
      assert.equal(lease.feature, 'reports');
      const status = await manager.status('ACME');
      assert.equal(status.url, url);
      assert.deepEqual(status.products, [{ product: 'ACME', inUse: 1, total: 2 }]);
      assert.deepEqual((await manager.status('OTHER')).products, []);
      await assert.rejects(manager.acquire('OTHER'), { code: 'LICTOR_E_NOT_LICENSED' });
      await lease.release();
      assert.equal(lease.state, 'released');
      expectRefusal(
        await call(url, 'POST', `/v1/leases/${encodeURIComponent(lease.id)}/heartbeat`),
        'LICTOR_E_LEASE_UNKNOWN',
      );
    });
  });
}
