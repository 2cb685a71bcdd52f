/**
 * The self-service activation page, `GET /activate`: a customer whose computer has no network
 * access pastes or uploads the request file (and downloads the license file), or types the
 * request code (and reads the answer code). Plain HTML forms: no JavaScript, no external assets,
 * a strict Content-Security-Policy. Every value shown is HTML-escaped.
 */

import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import {
  escapeHtml,
  failureAnswer,
  HIDDEN_ROUTE,
  HTML_SECURITY_HEADERS,
  htmlPage,
  retryAfter,
  sendHtml,
} from '@lictor/http-service';
import { LictorError, type Owner } from '@lictor/protocol';
import { MAX_REQUEST_TEXT } from '@lictor/protocol/wire';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Center, RequestPreview } from '../center/types.js';

/** Urlencoded forms: a request of the largest size, percent-encoded, fits. */
const FORM_BODY_LIMIT = MAX_REQUEST_TEXT * 3 + 4096;
const MAX_OWNER_FIELDS = 32;

const STYLE = `
body{font:1rem/1.5 system-ui,sans-serif;margin:0;color:#1a1a1a;background:#fff}
main{max-width:46rem;margin:0 auto;padding:1rem 1.25rem 3rem}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem}
label{display:block;font-weight:600;margin-top:.75rem}
input[type=text],input[type=email],textarea{width:100%;box-sizing:border-box;font:inherit;padding:.4rem;border:1px solid #555;border-radius:4px}
textarea,.mono{font-family:ui-monospace,Menlo,Consolas,monospace}
button{font:inherit;margin-top:1rem;padding:.5rem 1rem;border:1px solid #0b4f9c;border-radius:4px;background:#0b4f9c;color:#fff;cursor:pointer}
:focus-visible{outline:3px solid #e07b00;outline-offset:2px}
.hint{color:#444;font-size:.9rem;margin:.2rem 0 0}
table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:.35rem .5rem;border-bottom:1px solid #ccc}
.answer{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:1.6rem;line-height:1.7;word-spacing:.4em;letter-spacing:.04em;background:#f3f3f3;padding:.75rem 1rem;border-radius:4px;overflow-wrap:anywhere}
.error{border-left:6px solid #b00020;padding:.25rem 1rem;background:#fdf0f2}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f3f3f3;padding:.5rem}
`;

/** Where the forms post: relative links, so the page also works behind a path prefix. */
interface Links {
  start: string;
  preview: string;
  confirm: string;
  code: string;
}
/** Links from `/activate`. */
const FROM_START: Links = {
  start: 'activate',
  preview: 'activate/preview',
  confirm: 'activate/confirm',
  code: 'activate/code',
};
/** Links from `/activate/…`. */
const FROM_STEP: Links = { start: '../activate', preview: 'preview', confirm: 'confirm', code: 'code' };

function page(title: string, body: string): string {
  return htmlPage({ title, site: 'License activation', style: STYLE }, body);
}

function fileForm(links: Links): string {
  return `<section aria-labelledby="file-heading">
<h2 id="file-heading">With a request file</h2>
<form method="post" action="${links.preview}" enctype="multipart/form-data">
<label for="request-file">Request file</label>
<input type="file" id="request-file" name="requestFile" aria-describedby="request-file-hint">
<p class="hint" id="request-file-hint">The file your application or <span class="mono">lictor activate --offline</span> made.</p>
<label for="request-text">Or paste the request</label>
<textarea id="request-text" name="request" rows="10" spellcheck="false" aria-describedby="request-text-hint"></textarea>
<p class="hint" id="request-text-hint">Everything from <span class="mono">-----BEGIN LICTOR REQUEST-----</span> to the END line.</p>
<button type="submit">Show what will be licensed</button>
</form>
</section>`;
}

// A Map: an owner field named `toString` or `constructor` must not find an inherited property.
const OWNER_LABELS = new Map([
  ['company', 'Company'],
  ['email', 'E-mail'],
]);

function ownerInput(field: string, value: string): string {
  const id = `owner-${field.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const label = OWNER_LABELS.get(field) ?? field;
  const type = field === 'email' ? 'email' : 'text';
  const auto = field === 'company' ? ' autocomplete="organization"' : field === 'email' ? ' autocomplete="email"' : '';
  return `<label for="${escapeHtml(id)}">${escapeHtml(label)}</label>
<input type="${type}" id="${escapeHtml(id)}" name="${escapeHtml(field)}" value="${escapeHtml(value)}"${auto}>`;
}

/** The request code form, with what was typed and, after a refusal, the owner fields found missing. */
function codeForm(links: Links, values: { code?: string; owner?: Owner; missing?: string[] } = {}): string {
  const owner: Owner = { company: '', email: '', ...values.owner };
  for (const field of values.missing ?? []) if (!Object.hasOwn(owner, field)) owner[field] = '';
  const inputs = Object.entries(owner).map(([field, value]) => ownerInput(field, value));
  return `<section aria-labelledby="code-heading">
<h2 id="code-heading">With a request code</h2>
<form method="post" action="${links.code}">
<label for="code">Request code</label>
<input type="text" id="code" name="code" class="mono" required autocomplete="off" spellcheck="false" autocapitalize="characters" value="${escapeHtml(values.code ?? '')}" aria-describedby="code-hint">
<p class="hint" id="code-hint">Groups of six characters; dashes, spaces and letter case do not matter.</p>
${inputs.join('\n')}
<button type="submit">Get the answer code</button>
</form>
</section>`;
}

function startPage(): string {
  return page(
    'Activate a license',
    `<h1>Activate a license on a computer without network access</h1>
<p>On the computer to license, make an offline request with the serial number and a PIN code of your package.
Then bring the request here, on any computer with network access.</p>
${fileForm(FROM_START)}
${codeForm(FROM_START)}`,
  );
}

function typeLabel(preview: RequestPreview): string {
  switch (preview.type) {
    case 'single':
      return 'Single user';
    case 'multi':
      return `Multi-user, ${preview.users} users`;
    case 'server':
      return `Server (${preview.arch ?? 'x64'})`;
    case 'server-sessions':
      return `Server (${preview.arch ?? 'x64'}), ${preview.sessions ?? 0} concurrent sessions`;
  }
}

/** `2030-02-14T10:00:00.000Z` → `2030-02-14 10:00 UTC`. */
function shownDate(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return m === null ? iso : `${m[1]} ${m[2]} UTC`;
}

function previewRows(p: RequestPreview): string {
  const features =
    p.features.length === 0
      ? 'none'
      : `<ul>${p.features
          .map((f) => `<li>${escapeHtml(f.code)}${f.users === null ? '' : ` (${f.users} users)`}</li>`)
          .join('')}</ul>`;
  const owner = Object.entries(p.owner)
    .map(([k, v]) => `${escapeHtml(OWNER_LABELS.get(k) ?? k)}: ${escapeHtml(v)}`)
    .join('<br>');
  const rows: [string, string][] = [
    ['Product', `${escapeHtml(p.productName)} (<span class="mono">${escapeHtml(p.product)}</span>)`],
    ['License', escapeHtml(typeLabel(p))],
    ['Features', features],
    ['Expires', p.expiresAt === null ? 'Never' : escapeHtml(shownDate(p.expiresAt))],
    ['Owner', owner || 'none'],
    ...(p.hostname === null ? [] : ([['Computer', escapeHtml(p.hostname)]] as [string, string][])),
    ['Request made', escapeHtml(shownDate(p.createdAt))],
    [
      'Package',
      `serial <span class="mono">${escapeHtml(p.serial)}</span>, PIN code ${p.pinIndex}${p.reactivation ? ' (already activated on this computer: the same activation again)' : ''}`,
    ],
  ];
  return `<table>
<caption class="hint">What the license file will contain</caption>
<tbody>
${rows.map(([k, v]) => `<tr><th scope="row">${k}</th><td>${v}</td></tr>`).join('\n')}
</tbody>
</table>`;
}

function previewPage(preview: RequestPreview, requestText: string): string {
  return page(
    'Check the license',
    `<h1>Check what will be licensed</h1>
${previewRows(preview)}
<form method="post" action="${FROM_STEP.confirm}">
<input type="hidden" name="request" value="${escapeHtml(requestText)}">
<button type="submit">Confirm and download the license file</button>
</form>
<p>Copy the license file to the computer that made the request and install it there
(in the application, or with <span class="mono">lictor install &lt;license file&gt;</span>).</p>
<p><a href="${FROM_STEP.start}">Start over</a></p>`,
  );
}

function answerPage(answer: { activationId: string; reactivated: boolean; answer: string }, p: RequestPreview): string {
  const groups = answer.answer.split('-');
  return page(
    'Your answer code',
    `<h1>Your answer code</h1>
<p>${answer.reactivated ? 'PIN code already active on this computer: the same activation again.' : 'The license is activated.'}
${escapeHtml(p.productName)}, serial <span class="mono">${escapeHtml(p.serial)}</span>, PIN code ${p.pinIndex}, activation <span class="mono">${escapeHtml(answer.activationId)}</span>.</p>
<h2>Enter this code on the computer that made the request</h2>
<p class="answer">${groups.map(escapeHtml).join(' ')}</p>
<p>Type it into the application where it asks for the answer code, or run:</p>
<pre class="mono">lictor install --code '${escapeHtml(answer.answer)}'</pre>
<p>Dashes, spaces and letter case do not matter. A typing mistake is reported with the number of its group.</p>
<p><a href="${FROM_STEP.start}">Activate another license</a></p>`,
  );
}

function errorSection(code: string, message: string): string {
  return `<div class="error">
<h1>The activation was refused</h1>
<p>${escapeHtml(message)}</p>
<p>Error code: <span class="mono">${escapeHtml(code)}</span></p>
</div>`;
}

/** The refusal of a form size or multipart limit, in the words of this page. */
function multipartRefusal(error: unknown): LictorError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'FST_REQ_FILE_TOO_LARGE' || code === 'FST_ERR_CTP_BODY_TOO_LARGE') return tooLarge();
  if (code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') {
    return new LictorError('LICTOR_E_INVALID_INPUT', 'send one request file, or paste one request', {
      field: 'request',
    });
  }
  return undefined;
}

/** Sends a refusal as a page with the error's status; internals never leave (500s say only that). */
function sendError(
  request: FastifyRequest,
  reply: FastifyReply,
  error: unknown,
  retry?: { code: string; owner: Owner },
): FastifyReply {
  const { status, body } = failureAnswer(request, multipartRefusal(error) ?? error, FORM_BODY_LIMIT);
  retryAfter(reply, body);
  let again = `<p><a href="${FROM_STEP.start}">Back to the activation page</a></p>`;
  if (retry !== undefined) {
    const missing =
      body.code === 'LICTOR_E_OWNER_REQUIRED' && Array.isArray(body.details?.missing)
        ? (body.details.missing as unknown[]).filter((f): f is string => typeof f === 'string')
        : [];
    again = `${codeForm(FROM_STEP, { ...retry, missing })}\n${again}`;
  }
  return sendHtml(reply, status, page('Activation refused', `${errorSection(body.code, body.message)}\n${again}`));
}

/** A form body's text field; repeated fields (arrays) are refused as absent. */
/** The one log line of an activation answered from the self-service page. */
function logActivation(
  request: FastifyRequest,
  answered: { activationId: string; reactivated: boolean; preview: RequestPreview },
  channel: 'file' | 'code',
): void {
  const { activationId, reactivated, preview } = answered;
  request.log.info({ serial: preview.serial, activationId, reactivated, channel }, 'activation');
}

function field(body: unknown, name: string): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

function tooLarge(): LictorError {
  return new LictorError('LICTOR_E_PAYLOAD_TOO_LARGE', `a request file is at most ${MAX_REQUEST_TEXT} bytes`);
}

/** The request text of the first form: the uploaded file if one was chosen, else the pasted text. */
async function requestText(request: FastifyRequest): Promise<string> {
  let text = '';
  if (request.isMultipart()) {
    let pasted = '';
    let uploaded = '';
    try {
      for await (const part of request.parts()) {
        if (part.type === 'file') {
          const bytes = await part.toBuffer();
          if (bytes.length > 0) uploaded = bytes.toString('utf8');
        } else if (part.fieldname === 'request') {
          if (part.valueTruncated) throw tooLarge();
          if (typeof part.value === 'string') pasted = part.value;
        }
      }
    } catch (error) {
      // The multipart parser's own errors (cut-off or malformed data) carry no status.
      if (error instanceof LictorError || typeof (error as { statusCode?: unknown }).statusCode === 'number') {
        throw error;
      }
      throw new LictorError('LICTOR_E_INVALID_INPUT', 'the form data arrived incomplete or malformed: send it again', {
        field: 'request',
      });
    }
    text = uploaded !== '' ? uploaded : pasted;
  } else {
    text = field(request.body, 'request') ?? '';
  }
  if (text.trim() === '') {
    throw new LictorError('LICTOR_E_INVALID_INPUT', 'choose the request file, or paste the request, then try again', {
      field: 'request',
    });
  }
  if (text.length > MAX_REQUEST_TEXT) throw tooLarge();
  return text;
}

/** The self-service page plugin; its form parsers stay inside it. */
export const webRoutes: FastifyPluginAsync<{ center: Center }> = async (app, { center }) => {
  await app.register(formbody, { bodyLimit: FORM_BODY_LIMIT });
  await app.register(multipart, {
    limits: { fileSize: MAX_REQUEST_TEXT, files: 1, fields: 4, fieldSize: MAX_REQUEST_TEXT, parts: 6 },
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.headers(HTML_SECURITY_HEADERS);
    return payload;
  });
  // Refusals before a handler runs (body too large, broken form data) are pages too.
  app.setErrorHandler((error, request, reply) => sendError(request, reply, error));

  app.get('/activate', { schema: HIDDEN_ROUTE }, async (_request, reply) => sendHtml(reply, 200, startPage()));

  app.post('/activate/preview', { schema: HIDDEN_ROUTE, bodyLimit: FORM_BODY_LIMIT }, async (request, reply) => {
    try {
      const text = await requestText(request);
      return sendHtml(reply, 200, previewPage(await center.previewRequest(text, { clientIp: request.ip }), text));
    } catch (error) {
      return sendError(request, reply, error);
    }
  });

  app.post('/activate/confirm', { schema: HIDDEN_ROUTE, bodyLimit: FORM_BODY_LIMIT }, async (request, reply) => {
    try {
      const answered = await center.answerRequest(await requestText(request), { clientIp: request.ip });
      logActivation(request, answered, 'file');
      const name = `${answered.preview.serial}_${answered.activationId}.lic`;
      return reply
        .code(200)
        .type('application/octet-stream')
        .header('content-disposition', `attachment; filename="${name}"`)
        .send(answered.license);
    } catch (error) {
      return sendError(request, reply, error);
    }
  });

  app.post('/activate/code', { schema: HIDDEN_ROUTE }, async (request, reply) => {
    const code = field(request.body, 'code') ?? '';
    // Every other field is owner data: company and e-mail, and whatever else the product requires.
    const owner: Owner = {};
    for (const name of Object.keys(request.body ?? {})) {
      const value = field(request.body, name);
      // An own property even for `__proto__`, so that the center refuses a reserved name.
      if (name !== 'code' && value !== undefined)
        Object.defineProperty(owner, name, { value, enumerable: true, writable: true, configurable: true });
    }
    try {
      const answered = await center.answerRequestCode(code, owner, { clientIp: request.ip });
      logActivation(request, answered, 'code');
      return sendHtml(reply, 200, answerPage(answered, answered.preview));
    } catch (error) {
      const shown = Object.fromEntries(Object.entries(owner).slice(0, MAX_OWNER_FIELDS));
      return sendError(request, reply, error, { code, owner: shown });
    }
  });
};
