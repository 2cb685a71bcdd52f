/**
 * Plain HTTP/1.1 requests, and the answers to them, in the form `node:http` writes: what a
 * service's hottest routes are answered with below `node:http` (`plain-connections.ts`).
 *
 * Only a strict subset is parsed here, and everything outside it is left to `node:http` (the
 * caller hands the connection over with the bytes unread), never refused here. A request of the
 * subset is one whose head is at most `maxHeadBytes`, of visible ASCII, spaces and tabs on lines
 * ending in CRLF; a request line `METHOD /target HTTP/1.1` (method of capital letters, an
 * origin-form target of visible ASCII); at most `maxHeaders` headers, each `name: value` with a
 * token name, no name twice, no `transfer-encoding`, `upgrade` or `expect`, a `connection` of
 * `keep-alive` if any, a `host`, and a `content-length` (if any) of at most nine digits and
 * `bodyLimit` bytes; then its whole body. So nothing here decides a question `node:http` would
 * decide otherwise: chunked bodies, two lengths, folded or malformed lines, HTTP/1.0, closing or
 * upgrading connections and `100-continue` are all `node:http`'s.
 */

/** Bounds of the subset: the head's bytes (request line and headers), the number of headers, the body's bytes. */
export interface PlainLimits {
  maxHeadBytes: number;
  maxHeaders: number;
  bodyLimit: number;
}

/** A request of the plain subset, parsed. */
export interface PlainRequest {
  method: string;
  /** The request target, as sent (origin form: starts with `/`). */
  url: string;
  /** Header values by lower-case name (each name once). */
  headers: Record<string, string>;
  /** The body as UTF-8 text (`''` without one). */
  body: string;
  /** Offset in the buffer just after this request. */
  next: number;
}

/** More bytes are needed before the request at this offset can be told apart. */
export const PARTIAL = 'partial';
/** The request at this offset is outside the plain subset: `node:http`'s to answer. */
export const OTHER = 'other';

const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
const VERSION = ' HTTP/1.1';

/** `tchar` of RFC 9110: the characters of a token (header name). */
function tokenChar(c: number): boolean {
  return (
    (c >= 97 && c <= 122) ||
    (c >= 65 && c <= 90) ||
    (c >= 48 && c <= 57) ||
    c === 33 ||
    (c >= 35 && c <= 39) ||
    c === 42 ||
    c === 43 ||
    c === 45 ||
    c === 46 ||
    c === 94 ||
    c === 95 ||
    c === 96 ||
    c === 124 ||
    c === 126
  );
}

/** A header value's characters here: visible ASCII, space and tab (no obs-text, no controls). */
function valueChar(c: number): boolean {
  return (c >= 32 && c <= 126) || c === 9;
}

/** A header value without its leading and trailing spaces and tabs. */
function trimmed(line: string, from: number, to: number): string {
  while (from < to && (line.charCodeAt(from) === 32 || line.charCodeAt(from) === 9)) from++;
  while (to > from && (line.charCodeAt(to - 1) === 32 || line.charCodeAt(to - 1) === 9)) to--;
  return line.slice(from, to);
}

/** `content-length`'s value as a number when it is 1–9 digits; otherwise -1. */
function lengthOf(value: string): number {
  if (value.length === 0 || value.length > 9) return -1;
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const d = value.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** The request line's method and target, or undefined when it is not `METHOD /target HTTP/1.1`. */
function requestLine(line: string): { method: string; url: string } | undefined {
  const space = line.indexOf(' ');
  if (space < 1 || !line.endsWith(VERSION)) return undefined;
  for (let i = 0; i < space; i++) {
    const c = line.charCodeAt(i);
    if (c < 65 || c > 90) return undefined;
  }
  const end = line.length - VERSION.length;
  if (end <= space + 1 || line.charCodeAt(space + 1) !== 47) return undefined;
  for (let i = space + 1; i < end; i++) {
    const c = line.charCodeAt(i);
    if (c < 33 || c > 126) return undefined;
  }
  return { method: line.slice(0, space), url: line.slice(space + 1, end) };
}

/**
 * The request that starts at `at` in `buf`, when it is of the plain subset and whole; otherwise
 * {@link PARTIAL} (its head or body has not all arrived, within the limits) or {@link OTHER}.
 */
export function parsePlainRequest(
  buf: Buffer,
  at: number,
  limits: PlainLimits,
): PlainRequest | typeof PARTIAL | typeof OTHER {
  const headEnd = buf.indexOf(CRLFCRLF, at);
  if (headEnd < 0) return buf.length - at < limits.maxHeadBytes ? PARTIAL : OTHER;
  if (headEnd - at > limits.maxHeadBytes) return OTHER;
  const head = buf.toString('latin1', at, headEnd);
  let lineEnd = head.indexOf('\r\n');
  if (lineEnd < 0) lineEnd = head.length;
  const start = requestLine(head.slice(0, lineEnd));
  if (start === undefined) return OTHER;
  const headers: Record<string, string> = Object.create(null);
  let count = 0;
  let from = lineEnd + 2;
  while (from < head.length) {
    let to = head.indexOf('\r\n', from);
    if (to < 0) to = head.length;
    if (++count > limits.maxHeaders) return OTHER;
    let colon = -1;
    for (let i = from; i < to; i++) {
      const c = head.charCodeAt(i);
      if (colon < 0) {
        if (c === 58) colon = i;
        else if (!tokenChar(c)) return OTHER;
      } else if (!valueChar(c)) return OTHER;
    }
    if (colon <= from) return OTHER;
    const name = head.slice(from, colon).toLowerCase();
    if (headers[name] !== undefined) return OTHER;
    headers[name] = trimmed(head, colon + 1, to);
    from = to + 2;
  }
  if (
    headers.host === undefined ||
    headers['transfer-encoding'] !== undefined ||
    headers.upgrade !== undefined ||
    headers.expect !== undefined ||
    (headers.connection !== undefined && headers.connection.toLowerCase() !== 'keep-alive')
  ) {
    return OTHER;
  }
  let length = 0;
  const declared = headers['content-length'];
  if (declared !== undefined) {
    length = lengthOf(declared);
    if (length < 0 || length > limits.bodyLimit) return OTHER;
  }
  const bodyStart = headEnd + 4;
  if (buf.length - bodyStart < length) return PARTIAL;
  return {
    method: start.method,
    url: start.url,
    headers,
    body: length === 0 ? '' : buf.toString('utf8', bodyStart, bodyStart + length),
    next: bodyStart + length,
  };
}

/** An answer to a plain request: its status, headers before the content type, and JSON text, if any. */
export interface PlainAnswer {
  status: number;
  /** JSON text: sent with `content-type: application/json; charset=utf-8` and its length. */
  json?: string;
  /** Headers sent first, as `name: value` (lower-case names). */
  headers?: Readonly<Record<string, string | number>>;
}

/** Reason phrases of the statuses a plain route answers with (`node:http`'s `STATUS_CODES`). */
export type StatusTexts = Readonly<Record<number, string | undefined>>;

/**
 * The bytes `node:http` writes for `answer` on a kept-alive connection (`res.writeHead(status,
 * { ...headers, 'content-type', 'content-length' })` and `res.end(json)`, or `writeHead(204)`):
 * the headers in that order, then `Date`, `Connection: keep-alive` and `Keep-Alive:
 * timeout=<keepAliveSeconds>`.
 */
export function plainAnswerText(
  answer: PlainAnswer,
  statusTexts: StatusTexts,
  date: string,
  keepAlive: string,
): string {
  let text = `HTTP/1.1 ${answer.status} ${statusTexts[answer.status] ?? 'unknown'}\r\n`;
  const extra = answer.headers;
  if (extra !== undefined) for (const name in extra) text += `${name}: ${extra[name]}\r\n`;
  const json = answer.json;
  if (json !== undefined) {
    text += `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(json)}\r\n`;
  }
  text += `Date: ${date}\r\nConnection: keep-alive\r\nKeep-Alive: timeout=${keepAlive}\r\n\r\n`;
  return json === undefined ? text : text + json;
}
