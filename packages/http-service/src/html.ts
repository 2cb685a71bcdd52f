/** The HTML shell of the server-rendered pages (the center's /activate, the manager's /admin). */
import type { FastifyReply } from 'fastify';

/** Headers of every HTML page: no scripts, no framing, no caching, forms only to this origin. */
export const HTML_SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** What a page puts in its `<head>`. */
export interface PageHead {
  /** Shown before ` – ${site}` in the title (escaped here). */
  title: string;
  site: string;
  /** The page's CSS. */
  style: string;
  /** Extra `<head>` markup (already escaped), e.g. a refresh. */
  extra?: string;
}

/** A whole HTML document around `body` (markup, already escaped). */
export function htmlPage(head: PageHead, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${head.extra ?? ''}<title>${escapeHtml(head.title)} – ${escapeHtml(head.site)}</title>
<style>${head.style}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

/** Sends an HTML document with `status`. */
export function sendHtml(reply: FastifyReply, status: number, document: string): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(document);
}
