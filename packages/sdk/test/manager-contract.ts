/**
 * The License Manager's wire contract, run against the real manager
 * (`manager/test/manager-contract.test.ts`) and against the SDK's fake
 * (`manager-contract-fake.test.ts`): every answer is checked against protocol's schemas, over a
 * real socket, then the SDK client is used on it. A fake that drifts from the manager fails here.
 * Lease answers to a request that carries a nonce must carry a proof over it that verifies with
 * the tests' vendor key (signed seats).
 */
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import {
  ANSWER_NONCE_HEADER,
  ANSWER_SESSION_HEADER,
  type AnswerProof,
  answerSignatureValid,
  decodeLicenseFile,
  ERRORS,
  type ErrorCode,
  randomBytes,
  toBase64Url,
  verifyAnswer,
} from '@lictor/protocol';
import {
  AcquireAnswer,
  ErrorBody,
  HeartbeatAnswer,
  ManagerStatus,
  type TSchema,
  wireProblem,
} from '@lictor/protocol/wire';
import { connectManager } from '../src/index.js';
import { VENDOR } from './signed-answers.js';

/** A License Manager to test. */
export interface ContractSubject {
  /**
   * Starts a manager on 127.0.0.1 serving product `ACME` (with feature `reports`, not counted
   * on its own) with `seats` application seats and nothing else, proving its answers with a
   * genuine license of `VENDOR` (`signed-answers.ts`); stopped after the test. Returns its base URL.
   */
  start(t: TestContext, seats: number): Promise<string>;
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
