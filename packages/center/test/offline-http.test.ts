/** Offline activation over HTTP: the JSON routes through `inject()`, the self-service page through a real socket. */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { describe, type TestContext, test } from 'node:test';
import { decodeLicenseFile, hardwareBindingOf } from '@lictor/protocol';
import {
  computer,
  installAnswerCode,
  OWNER,
  requestCode,
  requestFile,
  type ServerFixture,
  withCenterServer,
} from './helpers.js';

function withServer(t: TestContext, body: (f: ServerFixture) => Promise<void>): Promise<void> {
  return withCenterServer(t, { pins: 4, maxActive: 3 }, body);
}

describe('offline routes (JSON)', { concurrency: true }, () => {
  test('POST /v1/offline/requests: 201, then 200 with the same activation; the license carries the nonce', async (t) => {
    await withServer(t, async ({ app, center, pkg }) => {
      const { text, request } = requestFile(pkg, 1, computer(1));
      const first = await app.inject({ method: 'POST', url: '/v1/offline/requests', payload: { request: text } });
      assert.equal(first.statusCode, 201, first.body);
      const body = first.json() as { activationId: string; reactivated: boolean; license: string };
      assert.deepEqual(Object.keys(body).sort(), ['activationId', 'license', 'reactivated']);
      const doc = decodeLicenseFile(body.license, center.publicKey);
      assert.equal(doc.requestNonce, request.nonce);
      assert.deepEqual(hardwareBindingOf(doc).hardware, request.hardware);
      const again = await app.inject({ method: 'POST', url: '/v1/offline/requests', payload: { request: text } });
      assert.equal(again.statusCode, 200);
      assert.equal(again.json().activationId, body.activationId);
      assert.equal(again.json().reactivated, true);
      const [view] = await center.listActivations();
      assert.equal(view?.clientIp, '127.0.0.1');
    });
  });

  test('POST /v1/offline/requests/preview: what will be licensed, nothing recorded', async (t) => {
    await withServer(t, async ({ app, center, pkg }) => {
      const { text, request } = requestFile(pkg, 2, computer(4));
      const res = await app.inject({ method: 'POST', url: '/v1/offline/requests/preview', payload: { request: text } });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), {
        serial: pkg.serial,
        product: 'app',
        productName: 'Accounting App',
        type: 'single',
        users: 1,
        sessions: null,
        arch: null,
        features: [
          { code: 'export', users: null },
          { code: 'reports', users: null },
        ],
        expiresAt: null,
        owner: OWNER,
        hostname: 'host-4',
        createdAt: request.createdAt,
        pinIndex: 2,
        reactivation: false,
      });
      assert.deepEqual(await center.listActivations(), []);
    });
  });

  test('POST /v1/offline/codes: 201 with an answer code that installs', async (t) => {
    await withServer(t, async ({ app, center, pkg }) => {
      const { code, pending } = requestCode(pkg, 3, computer(2));
      const res = await app.inject({ method: 'POST', url: '/v1/offline/codes', payload: { code, owner: OWNER } });
      assert.equal(res.statusCode, 201, res.body);
      const body = res.json() as { activationId: string; reactivated: boolean; answer: string };
      assert.deepEqual(Object.keys(body).sort(), ['activationId', 'answer', 'reactivated']);
      const { doc } = installAnswerCode(body.answer, pending, center.publicKey);
      assert.equal(doc.activationId, body.activationId);
      const again = await app.inject({ method: 'POST', url: '/v1/offline/codes', payload: { code, owner: OWNER } });
      assert.equal(again.statusCode, 200);
      assert.equal(again.json().activationId, body.activationId);
    });
  });

  test('refusals are the JSON error bodies with their status', async (t) => {
    await withServer(t, async ({ app, pkg }) => {
      const post = (url: string, payload: unknown) => app.inject({ method: 'POST', url, payload: payload as object });
      const garbage = await post('/v1/offline/requests', { request: 'garbage' });
      assert.equal(garbage.statusCode, 400);
      assert.equal(garbage.json().code, 'LICTOR_E_FILE_FORMAT');
      const wrongPin = requestFile(pkg, 1, computer(1), { pin: '00000-00000-00000' }).text;
      const wrong = await post('/v1/offline/requests/preview', { request: wrongPin });
      assert.equal(wrong.statusCode, 403);
      assert.equal(wrong.json().code, 'LICTOR_E_SERIAL_OR_PIN_INVALID');
      const missing = await post('/v1/offline/requests', {});
      assert.equal(missing.statusCode, 400);
      assert.deepEqual(missing.json().details, { field: 'request', location: 'body' });
      const huge = await post('/v1/offline/requests', { request: 'x'.repeat(70_000) });
      assert.equal(huge.statusCode, 400);
      assert.equal(huge.json().code, 'LICTOR_E_INVALID_INPUT');
      // The form parsers of the web page stay inside its plugin.
      const form = await app.inject({
        method: 'POST',
        url: '/v1/offline/requests',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'request=abc',
      });
      assert.equal(form.statusCode, 400);
      assert.equal(form.json().message, 'send the request body as application/json');
      const badCode = await post('/v1/offline/codes', { code: 'ABCDE-F', owner: OWNER });
      assert.equal(badCode.statusCode, 400);
      assert.equal(badCode.json().code, 'LICTOR_E_CODE_INVALID');
      const noOwner = await post('/v1/offline/codes', { code: requestCode(pkg, 1, computer(1)).code });
      assert.equal(noOwner.statusCode, 400);
      const { code } = requestCode(pkg, 1, computer(1));
      await post('/v1/offline/codes', { code, owner: OWNER });
      const used = await post('/v1/offline/codes', { code: requestCode(pkg, 1, computer(9)).code, owner: OWNER });
      assert.equal(used.statusCode, 409);
      assert.equal(used.json().code, 'LICTOR_E_PIN_USED');
    });
  });
});

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" };

function unescapeHtml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (_m, name: string) => ENTITIES[name] ?? '');
}

function hiddenRequest(html: string): string {
  const value = /<input type="hidden" name="request" value="([^"]*)">/.exec(html)?.[1];
  assert.ok(value !== undefined, 'the preview page has the request in a hidden field');
  return unescapeHtml(value);
}

function assertPage(res: Response, html: string, status: number): void {
  assert.equal(res.status, status, html);
  assert.match(res.headers.get('content-type') ?? '', /^text\/html; charset=utf-8/);
  assert.equal(
    res.headers.get('content-security-policy'),
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
  );
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  assert.match(html, /^<!doctype html>\n<html lang="en">/);
  assert.match(html, /<main>[\s\S]*<h1>/);
  assert.doesNotMatch(html, /<script|src=|href="http|\bat .*\.(ts|js):\d+/);
}

describe('self-service activation page', () => {
  test('request file: paste → preview → confirm downloads the license; upload works; errors are pages', async (t) => {
    await withServer(t, async ({ app, center, pkg }) => {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = app.server.address() as AddressInfo;
      const base = `http://127.0.0.1:${port}`;
      const form = (path: string, fields: Record<string, string>) =>
        fetch(`${base}${path}`, { method: 'POST', body: new URLSearchParams(fields) });

      // The start page: two labelled forms, nothing to load.
      const start = await fetch(`${base}/activate`);
      const startHtml = await start.text();
      assertPage(start, startHtml, 200);
      assert.match(startHtml, /<form method="post" action="activate\/preview" enctype="multipart\/form-data">/);
      assert.match(startHtml, /<form method="post" action="activate\/code">/);
      for (const id of ['request-file', 'request-text', 'code', 'owner-company', 'owner-email']) {
        assert.match(startHtml, new RegExp(`<label for="${id}">`), `a label for ${id}`);
        assert.match(startHtml, new RegExp(`id="${id}"`));
      }

      // Pasted; the owner's company carries markup, which must come back escaped.
      const evil = { company: '<script>alert("x")</script> & Co', email: 'it@evil.example' };
      const { text, request } = requestFile(pkg, 1, computer(1, { hostname: 'Plant-07' }), { owner: evil });
      const preview = await form('/activate/preview', { request: text });
      const previewHtml = await preview.text();
      assertPage(preview, previewHtml, 200);
      assert.match(previewHtml, /Accounting App/);
      assert.match(previewHtml, /plant-07/);
      assert.match(previewHtml, /&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt; &amp; Co/);
      assert.match(previewHtml, /Confirm and download the license file/);
      assert.match(previewHtml, /<form method="post" action="confirm">/);
      assert.deepEqual(await center.listActivations(), [], 'a preview records nothing');

      const confirm = await form('/activate/confirm', { request: hiddenRequest(previewHtml) });
      assert.equal(confirm.status, 200);
      assert.equal(confirm.headers.get('content-type'), 'application/octet-stream');
      const [activation] = await center.listActivations();
      assert.equal(
        confirm.headers.get('content-disposition'),
        `attachment; filename="${pkg.serial}_${activation?.id}.lic"`,
      );
      const doc = decodeLicenseFile(await confirm.text(), center.publicKey);
      assert.equal(doc.requestNonce, request.nonce);
      assert.deepEqual(doc.owner, evil);

      // Uploaded as a file (multipart), with the text area left empty.
      const upload = new FormData();
      upload.set('requestFile', new Blob([requestFile(pkg, 2, computer(2)).text], { type: 'text/plain' }), 'r.req');
      upload.set('request', '');
      const uploaded = await fetch(`${base}/activate/preview`, { method: 'POST', body: upload });
      const uploadedHtml = await uploaded.text();
      assertPage(uploaded, uploadedHtml, 200);
      assert.match(uploadedHtml, /host-2/);

      // A file over 64 KiB, a foreign text, nothing at all, a wrong PIN: pages with the code.
      const big = new FormData();
      big.set('requestFile', new Blob(['x'.repeat(70_000)]), 'big.req');
      const tooBig = await fetch(`${base}/activate/preview`, { method: 'POST', body: big });
      const tooBigHtml = await tooBig.text();
      assertPage(tooBig, tooBigHtml, 413);
      assert.match(tooBigHtml, /LICTOR_E_PAYLOAD_TOO_LARGE/);

      const garbage = await form('/activate/preview', { request: 'hello <b>world</b>' });
      const garbageHtml = await garbage.text();
      assertPage(garbage, garbageHtml, 400);
      assert.match(garbageHtml, /LICTOR_E_FILE_FORMAT/);
      assert.match(garbageHtml, /The activation was refused/);

      const empty = await form('/activate/preview', { request: ' ' });
      assertPage(empty, await empty.text(), 400);

      const wrong = await form('/activate/confirm', {
        request: requestFile(pkg, 3, computer(3), { pin: '00000-00000-00000' }).text,
      });
      const wrongHtml = await wrong.text();
      assertPage(wrong, wrongHtml, 403);
      assert.match(wrongHtml, /LICTOR_E_SERIAL_OR_PIN_INVALID/);
      assert.match(wrongHtml, /check both as printed on the package/);
    });
  });

  test('request code: the answer code in large type with instructions; refusals keep what was typed', async (t) => {
    await withServer(t, async ({ app, center, pkg }) => {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = app.server.address() as AddressInfo;
      const base = `http://127.0.0.1:${port}`;
      const form = (fields: Record<string, string>) =>
        fetch(`${base}/activate/code`, { method: 'POST', body: new URLSearchParams(fields) });

      const { code, pending } = requestCode(pkg, 1, computer(1));
      const res = await form({ code, company: 'ACME Corp', email: 'it@acme.example' });
      const html = await res.text();
      assertPage(res, html, 200);
      assert.match(html, /<p class="answer"/);
      const answer = /lictor install --code '([0-9A-Z-]+)'/.exec(html)?.[1];
      assert.ok(answer, 'the page shows the install command with the answer code');
      const { doc } = installAnswerCode(answer, pending, center.publicKey);
      assert.equal(doc.serial, pkg.serial);
      const [view] = await center.listActivations();
      assert.deepEqual(view?.owner, { company: 'ACME Corp', email: 'it@acme.example' });

      // A refused code: the form comes back filled in, everything escaped.
      const evil = '<script>alert(1)</script>';
      const typo = await form({ code: 'ABCDE-F', company: evil, email: 'it@acme.example' });
      const typoHtml = await typo.text();
      assertPage(typo, typoHtml, 400);
      assert.match(typoHtml, /LICTOR_E_CODE_INVALID/);
      assert.match(typoHtml, /value="&lt;script&gt;alert\(1\)&lt;\/script&gt;"/);
      assert.match(typoHtml, /value="ABCDE-F"/);

      // Missing owner data: the form asks for the missing field.
      const second = requestCode(pkg, 2, computer(2));
      const noEmail = await form({ code: second.code, company: 'ACME Corp' });
      const noEmailHtml = await noEmail.text();
      assertPage(noEmail, noEmailHtml, 400);
      assert.match(noEmailHtml, /LICTOR_E_OWNER_REQUIRED/);
      assert.match(noEmailHtml, /<label for="owner-email">E-mail<\/label>/);
    });
  });
});
