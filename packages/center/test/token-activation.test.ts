/** Token-bound activation: the claim's proof and the PIN rules for tokens, on every engine and over HTTP. */
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  type ActivationRequest,
  decodeLicenseFile,
  documentSubject,
  generateContainerKeys,
  type HardwareParams,
  type Owner,
  parseTokenPublicKey,
  type TokenActivation,
  type TokenActivationClaim,
  type TokenIdentity,
  tokenActivationMessage,
} from '@lictor/protocol';
import { buildCenterServer, type IssuedPackage } from '../src/index.js';
import {
  activationRequest,
  addApp,
  computer,
  ENGINES,
  issue,
  OWNER,
  pinOf,
  rejectsWith,
  SQLITE,
  withCenter,
} from './helpers.js';

/** A software stand-in for a token: a P-256 key (as a token would hold it) and the token's identity. */
interface FakeToken {
  privateKey: KeyObject;
  publicKey: string;
  fingerprint: string;
  identity: TokenIdentity;
}

function fakeToken(serial: string): FakeToken {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const key = parseTokenPublicKey(new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })));
  return {
    privateKey,
    publicKey: key.text,
    fingerprint: key.fingerprint,
    identity: { manufacturer: 'SoftHSM project', model: 'SoftHSM v2', serial },
  };
}

interface ClaimOptions {
  serial?: string;
  createdAt?: Date;
  /** Signs with this key instead of the token's own (a forgery). */
  signer?: KeyObject;
  identity?: TokenIdentity;
}

function tokenActivation(token: FakeToken, serial: string, now: Date, options: ClaimOptions = {}): TokenActivation {
  const claim: TokenActivationClaim = {
    serial: options.serial ?? serial,
    publicKey: token.publicKey,
    token: options.identity ?? token.identity,
    createdAt: (options.createdAt ?? now).toISOString(),
    nonce: randomBytes(16).toString('base64url'),
  };
  const signature = sign('sha256', tokenActivationMessage(claim), {
    key: options.signer ?? token.privateKey,
    dsaEncoding: 'ieee-p1363',
  });
  return { claim, signature: signature.toString('base64url') };
}

function request(
  pkg: IssuedPackage,
  index: number,
  token: FakeToken,
  now: Date,
  options: ClaimOptions & { owner?: Owner; hardware?: HardwareParams } = {},
): ActivationRequest {
  return {
    ...activationRequest(pkg, index, options.hardware ?? computer(1), options.owner ?? OWNER),
    containerKeys: generateContainerKeys().public,
    token: tokenActivation(token, pkg.serial, now, options),
  };
}

const OTHER_OWNER = { company: 'Globex', email: 'it@globex.example' };
const MINUTE = 60_000;

for (const engine of ENGINES) {
  describe(`token-bound activation (${engine.name})`, { concurrency: true }, () => {
    test('an accepted claim gives a license bound to the token, registered and audited', async (t) => {
      await withCenter(t, engine, async ({ center, clock }) => {
        await addApp(center);
        const pkg = await issue(center);
        const token = fakeToken('a1b2c3d4e5f60718');
        const req = request(pkg, 1, token, clock.now());
        const res = await center.activate(req, { clientIp: '192.0.2.9' });
        assert.equal(res.reactivated, false);
        const doc = decodeLicenseFile(res.license, center.publicKey);
        assert.deepEqual(doc.binding, { kind: 'token', token: token.identity, publicKey: token.publicKey });
        assert.deepEqual(doc.containerKeys, req.containerKeys);
        assert.deepEqual(doc.owner, OWNER);
        assert.equal(doc.activationId, res.activationId);

        const [view] = await center.listActivations({ serial: pkg.serial });
        assert.equal(view?.tokenKey, token.publicKey);
        assert.equal(view?.subject, documentSubject(doc), 'the stored subject is the token subject of the license');

        const [registered] = await center.listTokens();
        assert.equal(registered?.publicKey, token.publicKey);
        assert.equal(registered?.fingerprint, token.fingerprint);
        assert.deepEqual(registered?.token, token.identity);
        assert.equal(registered?.programmedAt, null);
        assert.deepEqual(registered?.activeActivations, [res.activationId]);

        const events = await center.audit();
        assert.ok(events.some((e) => e.action === 'token.register' && e.subject === token.fingerprint));
        const created = events.find((e) => e.action === 'activation.create');
        assert.equal(created?.details.token, token.fingerprint);
      });
    });

    test('each PIN binds to one token only: a second token on the PIN is PIN_USED naming the first', async (t) => {
      await withCenter(t, engine, async ({ center, clock }) => {
        await addApp(center);
        const pkg = await issue(center, { maxActive: 3 });
        const first = fakeToken('0000000000000001');
        const second = fakeToken('0000000000000002');
        await center.activate(request(pkg, 1, first, clock.now()));
        const refused = await rejectsWith(center.activate(request(pkg, 1, second, clock.now())), 'LICTOR_E_PIN_USED');
        assert.match(refused.message, /SoftHSM project SoftHSM v2 #0000000000000001/);
        assert.match(refused.message, new RegExp(first.fingerprint));
        assert.match(refused.message, /one token only/);
        // A hardware activation of a token's PIN is refused the same way.
        const hardware = await rejectsWith(
          center.activate({ serial: pkg.serial, pin: pinOf(pkg, 1), owner: OWNER, hardware: computer(1) }),
          'LICTOR_E_PIN_USED',
        );
        assert.match(hardware.message, /#0000000000000001/);
        // The second token takes another PIN of the package.
        const other = await center.activate(request(pkg, 2, second, clock.now()));
        assert.equal(other.reactivated, false);
      });
    });

    test('a PIN activated on a computer is not taken by a token', async (t) => {
      await withCenter(t, engine, async ({ center, clock }) => {
        await addApp(center);
        const pkg = await issue(center, { maxActive: 2 });
        await center.activate({ serial: pkg.serial, pin: pinOf(pkg, 1), owner: OWNER, hardware: computer(1) });
        const refused = await rejectsWith(
          center.activate(request(pkg, 1, fakeToken('0000000000000003'), clock.now())),
          'LICTOR_E_PIN_USED',
        );
        assert.match(refused.message, /on a computer, not on a hardware token/);
      });
    });

    test('the same owner with the same token reactivates any number of times, with new container keys', async (t) => {
      await withCenter(t, engine, async ({ center, clock }) => {
        await addApp(center);
        const pkg = await issue(center);
        const token = fakeToken('00000000000000aa');
        const first = await center.activate(request(pkg, 1, token, clock.now()));
        for (let i = 1; i <= 3; i++) {
          clock.advanceDays(1);
          // Another computer: a token goes where its owner goes.
          const req = request(pkg, 1, token, clock.now(), { hardware: computer(10 + i) });
          const again = await center.activate(req);
          assert.equal(again.reactivated, true);
          assert.equal(again.activationId, first.activationId);
          const doc = decodeLicenseFile(again.license, center.publicKey);
          assert.deepEqual(doc.binding, { kind: 'token', token: token.identity, publicKey: token.publicKey });
          assert.deepEqual(doc.containerKeys, req.containerKeys, 'the license carries the keys of this activation');
        }
        const activations = await center.listActivations({ serial: pkg.serial });
        assert.equal(activations.length, 1);
        assert.equal(activations[0]?.status, 'active');
        assert.ok((await center.audit()).some((e) => e.action === 'activation.reactivate'));
      });
    });

    test('another owner with the same token is refused, as on the hardware path', async (t) => {
      await withCenter(t, engine, async ({ center, clock }) => {
        await addApp(center);
        const pkg = await issue(center);
        const token = fakeToken('00000000000000bb');
        await center.activate(request(pkg, 1, token, clock.now()));
        const refused = await rejectsWith(
          center.activate(request(pkg, 1, token, clock.now(), { owner: OTHER_OWNER })),
          'LICTOR_E_PIN_USED',
        );
        assert.match(refused.message, /for another owner/);
      });
    });

    test('a forged signature, a claim for another serial and a stale or future claim are TOKEN_PROOF_INVALID', async (t) => {
      await withCenter(t, engine, async ({ center, clock }) => {
        await addApp(center);
        const pkg = await issue(center);
        const other = await issue(center);
        const token = fakeToken('00000000000000cc');
        const now = clock.now();
        const forger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
        const forged = await rejectsWith(
          center.activate(request(pkg, 1, token, now, { signer: forger })),
          'LICTOR_E_TOKEN_PROOF_INVALID',
        );
        assert.match(forged.message, /does not verify/);
        const wrongSerial = await rejectsWith(
          center.activate(request(pkg, 1, token, now, { serial: other.serial })),
          'LICTOR_E_TOKEN_PROOF_INVALID',
        );
        assert.match(wrongSerial.message, new RegExp(other.serial));
        const stale = await rejectsWith(
          center.activate(request(pkg, 1, token, now, { createdAt: new Date(now.getTime() - 11 * MINUTE) })),
          'LICTOR_E_TOKEN_PROOF_INVALID',
        );
        assert.match(stale.message, /11 minutes before/);
        await rejectsWith(
          center.activate(request(pkg, 1, token, now, { createdAt: new Date(now.getTime() + 11 * MINUTE) })),
          'LICTOR_E_TOKEN_PROOF_INVALID',
        );
        // A signature over other bytes (the claim changed after signing) does not verify either.
        const tampered = request(pkg, 1, token, now);
        const claim = tampered.token?.claim;
        assert.ok(claim);
        claim.token = { ...claim.token, serial: 'ffffffffffffffff' };
        await rejectsWith(center.activate(tampered), 'LICTOR_E_TOKEN_PROOF_INVALID');

        assert.equal((await center.listActivations({ serial: pkg.serial })).length, 0, 'nothing was activated');
        assert.deepEqual(await center.listTokens(), [], 'no token was registered');
        const refusals = (await center.audit()).filter((e) => e.action === 'activation.refuse');
        // Refusals are counted per serial, code and window: the first of the five is the audit event.
        assert.equal(refusals.length, 1);
        assert.ok(refusals.every((e) => e.details.code === 'LICTOR_E_TOKEN_PROOF_INVALID'));
        // Nine minutes away either way is within the allowed skew.
        const late = await center.activate(
          request(pkg, 1, token, now, { createdAt: new Date(now.getTime() - 9 * MINUTE) }),
        );
        assert.equal(late.reactivated, false);
      });
    });

    test("a key registered under one token identity cannot claim another's", async (t) => {
      await withCenter(t, engine, async ({ center, clock }) => {
        await addApp(center);
        const pkg = await issue(center, { maxActive: 2 });
        const token = fakeToken('00000000000000dd');
        await center.activate(request(pkg, 1, token, clock.now()));
        const refused = await rejectsWith(
          center.activate(
            request(pkg, 2, token, clock.now(), { identity: { ...token.identity, serial: '00000000000000ee' } }),
          ),
          'LICTOR_E_TOKEN_PROOF_INVALID',
        );
        assert.match(refused.message, /registered for SoftHSM project SoftHSM v2 #00000000000000dd/);
      });
    });

    test('a token activation never retires a changed computer, and is never retired as one', async (t) => {
      await withCenter(t, engine, async ({ center, clock }) => {
        await addApp(center);
        const pkg = await issue(center, { maxActive: 2, pins: 3 });
        const token = fakeToken('00000000000000ff');
        // The token is activated from computer 1 ...
        const onToken = await center.activate(request(pkg, 1, token, clock.now(), { hardware: computer(1) }));
        // ... then computer 1, changed, activates PIN 2 for itself: the token's activation stays.
        const changed = computer(1, { disks: ['DISK-NEW'] });
        await center.activate({ serial: pkg.serial, pin: pinOf(pkg, 2), owner: OWNER, hardware: changed });
        // ... and another token activated from computer 1 changed again retires nothing either.
        const again = computer(1, { disks: ['DISK-NEWER'] });
        const limit = await rejectsWith(
          center.activate(request(pkg, 3, fakeToken('0000000000000100'), clock.now(), { hardware: again })),
          'LICTOR_E_ACTIVE_PIN_LIMIT',
        );
        assert.match(limit.message, /2 of 2/);
        const statuses = (await center.listActivations({ serial: pkg.serial })).map((a) => a.status);
        assert.deepEqual(statuses, ['active', 'active']);
        assert.ok((await center.listActivations()).some((a) => a.id === onToken.activationId && a.status === 'active'));
      });
    });

    test('programming: the PIN for a token, then the container recorded as written into it', async (t) => {
      await withCenter(t, engine, async ({ center, clock }) => {
        await addApp(center);
        const pkg = await issue(center, { pins: 3 });
        const token = fakeToken('0000000000000200');
        const choice = await center.pinForToken(pkg.serial.toLowerCase(), token.publicKey);
        assert.deepEqual(choice, { index: 1, pin: pinOf(pkg, 1), reactivation: false });
        const res = await center.activate(request(pkg, 1, token, clock.now()));
        // Programming the same token again takes its own PIN back: a reactivation.
        assert.deepEqual(await center.pinForToken(pkg.serial, token.publicKey), {
          index: 1,
          pin: pinOf(pkg, 1),
          reactivation: true,
        });
        // Another token gets the next unused PIN.
        assert.equal((await center.pinForToken(pkg.serial, fakeToken('0000000000000201').publicKey)).index, 2);

        const programmed = await center.recordTokenProgramming({
          publicKey: token.publicKey,
          activationId: res.activationId,
          label: 'customer-1',
        });
        assert.equal(programmed.label, 'customer-1');
        assert.equal(programmed.packageSerial, pkg.serial);
        assert.equal(programmed.activationId, res.activationId);
        assert.equal(programmed.programmedAt, clock.now().toISOString());
        const event = (await center.audit()).find((e) => e.action === 'token.program');
        assert.equal(event?.subject, token.fingerprint);
        assert.equal(event?.details.activationId, res.activationId);
        await rejectsWith(
          center.recordTokenProgramming({
            publicKey: fakeToken('0000000000000202').publicKey,
            activationId: res.activationId,
            label: 'x',
          }),
          'LICTOR_E_NOT_FOUND',
        );
        await rejectsWith(center.pinForToken('LX-0000-0000-0000', token.publicKey), 'LICTOR_E_NOT_FOUND');
      });
    });
  });
}

describe('token-bound activation over HTTP', () => {
  test('POST /v1/activations with a token: 201, then 200; a bad proof is 403 and a malformed one 400', async (t) => {
    await withCenter(t, SQLITE, async ({ center, clock, adminToken }) => {
      await addApp(center);
      const pkg = await issue(center);
      const token = fakeToken('0000000000000300');
      const app = buildCenterServer(center);
      try {
        const payload = request(pkg, 1, token, clock.now());
        const first = await app.inject({ method: 'POST', url: '/v1/activations', payload });
        assert.equal(first.statusCode, 201, first.body);
        const doc = decodeLicenseFile(first.json().license, center.publicKey);
        assert.deepEqual(doc.binding, { kind: 'token', token: token.identity, publicKey: token.publicKey });
        const again = await app.inject({
          method: 'POST',
          url: '/v1/activations',
          payload: request(pkg, 1, token, clock.now()),
        });
        assert.equal(again.statusCode, 200, again.body);
        assert.equal(again.json().reactivated, true);

        const stale = request(pkg, 1, token, clock.now(), { createdAt: new Date(clock.now().getTime() - 60 * MINUTE) });
        const refused = await app.inject({ method: 'POST', url: '/v1/activations', payload: stale });
        assert.equal(refused.statusCode, 403);
        assert.equal(refused.json().code, 'LICTOR_E_TOKEN_PROOF_INVALID');

        const { signature: _signature, ...unsigned } = payload.token as TokenActivation;
        const malformed = await app.inject({
          method: 'POST',
          url: '/v1/activations',
          payload: { ...payload, token: unsigned },
        });
        assert.equal(malformed.statusCode, 400);
        assert.equal(malformed.json().code, 'LICTOR_E_INVALID_INPUT');

        const listed = await app.inject({
          method: 'GET',
          url: `/v1/admin/activations?serial=${pkg.serial}`,
          headers: { authorization: `Bearer ${adminToken}` },
        });
        assert.equal(listed.statusCode, 200, listed.body);
        assert.equal(listed.json().activations[0]?.tokenKey, token.publicKey);
      } finally {
        await app.close();
      }
    });
  });
});
