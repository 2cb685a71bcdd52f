/**
 * Offline activation: answering request files and request codes made on computers without
 * network access. A request proves its PIN without revealing it (an HMAC keyed by the PIN), so
 * the center recovers the package's sealed PINs to find which one it proves; from there the
 * activation runs the same rules, in the same transaction, as an online one.
 */
import {
  decodeRequestFile,
  decodeShortCode,
  encodeAnswerCode,
  encodeShortCode,
  type HardwareParams,
  licenseFromAnswer,
  licenseSigningBytes,
  normalizeSerial,
  type Owner,
  parseRequestCode,
  pinTag,
  type RequestCode,
  type RequestDocument,
  requestCodeProvesPin,
  requestProofChecker,
  subjectDigest,
  toCodeMinute,
} from '@lictor/protocol';
import { admitClient, admitSerial, type RefusalFacts, settle } from './abuse.js';
import {
  auditedSerial,
  buildLicense,
  type Claim,
  cleanContainerKeys,
  DAY_MS,
  type Granted,
  grant,
  inspect,
  licenseEntry,
  type PinLocator,
  serialOrPinInvalid,
} from './activation.js';
import type { CenterContext } from './context.js';
import { checked, invalidInput, isRefusal, type Outcome, type Refusal, refuse, throwIfRefused } from './outcome.js';
import { cleanOwner } from './owner.js';
import { openPin } from './pins.js';
import type { ActivationMeta, AnsweredRequest, AnsweredRequestCode, RequestPreview } from './types.js';

/** Requests dated more than this far ahead of the center's clock are refused. */
const FUTURE_SLACK_MS = DAY_MS;
const SIGNATURE_BYTES = 64;
const SHORT_ID = /^[0-9a-f]{16}$/;

/**
 * Stands in for the hardware in the document whose signature an answer code carries: that
 * signature covers the subject digest, never the owner or hardware themselves.
 */
const UNSEEN_HARDWARE: HardwareParams = {
  platform: '',
  osName: '',
  osVersion: '',
  hostname: '',
  board: '',
  ramBytes: 0,
  bios: '',
  cpus: [],
  nics: [],
  disks: [],
};

function day(iso: string): string {
  return iso.slice(0, 10);
}

/**
 * Refuses a request too old or dated in the future. `span` is how long after `createdAt` the
 * request may really have been made: request codes carry only the day.
 */
function ageRefusal(ctx: CenterContext, createdAt: string, now: Date, span = 0): Refusal | null {
  const at = Date.parse(createdAt);
  const maxAgeDays = ctx.requestMaxAgeDays;
  if (now.getTime() - (at + span) > maxAgeDays * DAY_MS) {
    return refuse(
      'LICTOR_E_REQUEST_EXPIRED',
      `the request was made on ${day(createdAt)}, more than ${maxAgeDays} days ago: make a new request`,
      { createdAt, maxAgeDays },
    );
  }
  if (at - now.getTime() > FUTURE_SLACK_MS) {
    return refuse(
      'LICTOR_E_REQUEST_EXPIRED',
      `the request is dated ${day(createdAt)}, after today (${day(now.toISOString())}): the clock of the ` +
        'requesting computer is wrong; correct its date and make a new request',
      { createdAt },
    );
  }
  return null;
}

/** Requests without a PIN tag are checked against every PIN only of packages this small. */
const MAX_UNTAGGED_PINS = 16;

/** How a request names its PIN: the whole tag (files), its first hex digits (codes), or nothing (before tags). */
type TagHint = { exact: string } | { prefix: string } | null;

/** Fills in the tags of a package's PINs stored before tags existed (once per package). */
async function fillTags(ctx: CenterContext, serial: string): Promise<void> {
  const missing = await ctx.db
    .selectFrom('pins')
    .select(['idx', 'pin_sealed'])
    .where('serial', '=', serial)
    .where('pin_tag', 'is', null)
    .where('pin_sealed', 'is not', null)
    .execute();
  for (const p of missing) {
    ctx.work.pinsOpened += 1;
    const tag = pinTag(serial, openPin(ctx.pinSealKey, serial, p.idx, p.pin_sealed as string));
    await ctx.db
      .updateTable('pins')
      .set({ pin_tag: tag })
      .where('serial', '=', serial)
      .where('idx', '=', p.idx)
      .execute();
  }
}

/**
 * The index of the PIN a request proves, and the package's product. With a tag, only the PINs
 * with that tag are tried (one, nearly always): the work does not grow with the package. Without
 * (requests made before tags), every PIN is tried, the request's bytes computed once.
 */
async function locateByProof(
  ctx: CenterContext,
  serial: string,
  proves: (pin: string) => boolean,
  hint: TagHint,
): Promise<Outcome<{ index: number; product: string }>> {
  if (hint !== null) await fillTags(ctx, serial);
  let query = ctx.db
    .selectFrom('pins')
    .innerJoin('packages', 'packages.serial', 'pins.serial')
    .select(['pins.idx', 'pins.pin_sealed', 'packages.product_code'])
    .where('pins.serial', '=', serial);
  if (hint !== null && 'exact' in hint) query = query.where('pins.pin_tag', '=', hint.exact);
  if (hint !== null && 'prefix' in hint) query = query.where('pins.pin_tag', 'like', `${hint.prefix}%`);
  const pins = await query.orderBy('pins.idx').execute();
  if (hint === null && pins.length > MAX_UNTAGGED_PINS) {
    return invalidInput(
      'request',
      `this request was made by an application older than the License Center (no PIN tag), and package ${serial} ` +
        `has more than ${MAX_UNTAGGED_PINS} PIN codes: make the request again with the current application`,
    );
  }
  for (const p of pins) {
    if (p.pin_sealed === null) continue;
    ctx.work.pinsOpened += 1;
    const pin = openPin(ctx.pinSealKey, serial, p.idx, p.pin_sealed);
    ctx.work.pinProofsTried += 1;
    if (proves(pin)) return { index: p.idx, product: p.product_code };
  }
  const unsealed = await ctx.db
    .selectFrom('pins')
    .select('idx')
    .where('serial', '=', serial)
    .where('pin_sealed', 'is', null)
    .limit(1)
    .executeTakeFirst();
  if (unsealed !== undefined) {
    return refuse(
      'LICTOR_E_INVALID_INPUT',
      `package ${serial} was issued before offline activation existed: the License Center cannot check ` +
        'offline requests for its PIN codes. Activate it online, or the vendor issues a new package',
      { field: 'serial', serial },
    );
  }
  return serialOrPinInvalid();
}

/** The checked request file and what the rules need from it. */
interface FileRequest {
  request: RequestDocument;
  locator: PinLocator;
  claim: Claim;
}

async function prepareFile(
  ctx: CenterContext,
  request: RequestDocument,
  now: Date,
  meta: ActivationMeta,
): Promise<Outcome<FileRequest>> {
  const serial = normalizeSerial(request.serial);
  const refused = admitSerial(ctx, meta, serial) ?? ageRefusal(ctx, request.createdAt, now);
  if (refused !== null) return refused;
  // Checks the shape (field count, lengths); the license keeps the owner exactly as sent, which
  // is what the requesting computer compares the answer with.
  const owner = checked(() => cleanOwner(request.owner));
  if (isRefusal(owner)) return owner;
  const hint = request.pinTag === undefined ? null : { exact: request.pinTag };
  const found = await locateByProof(ctx, serial, requestProofChecker(request), hint);
  if (isRefusal(found)) return found;
  if (request.product !== null && request.product !== found.product) {
    return invalidInput(
      'product',
      `the request is for product ${request.product}, but package ${serial} is for product ${found.product}: ` +
        "make the request from the product's application, or with the serial number of a package for it",
    );
  }
  const containerKeys = checked(() => cleanContainerKeys(request.containerKeys));
  if (isRefusal(containerKeys)) return containerKeys;
  return {
    request,
    locator: { by: 'index', serial, index: found.index },
    claim: {
      channel: 'file',
      owner: request.owner,
      hardware: request.hardware,
      subject: subjectDigest(request.owner, request.hardware, request.containerKeys),
      requestNonce: request.nonce,
      containerKeys,
    },
  };
}

function previewOf(g: Granted, createdAt: string, wholeMinutes: boolean): RequestPreview {
  // A reactivated container that was upgraded remotely gets its upgraded state back.
  const entry = g.entries?.find((e) => e.product === g.pkg.product_code) ?? licenseEntry(g, wholeMinutes);
  return {
    serial: g.pkg.serial,
    product: entry.product,
    productName: g.productName,
    type: entry.type,
    users: entry.users,
    sessions: entry.sessions,
    arch: entry.arch,
    features: entry.features,
    expiresAt: entry.expiresAt,
    owner: g.owner,
    hostname: g.hardware?.hostname ?? null,
    createdAt,
    pinIndex: g.pinIndex,
    reactivation: g.reactivated,
  };
}

/** The request file of `text`; `facts` learn its serial and nonce for a refusal's audit. */
function decodeFile(text: unknown, facts: RefusalFacts, withNonce: boolean): Outcome<RequestDocument> {
  if (typeof text !== 'string') return invalidInput('request', 'request must be the text of a Lictor request file');
  const decoded = checked(() => decodeRequestFile(text));
  if (isRefusal(decoded)) return decoded;
  facts.serial = auditedSerial(decoded.serial);
  if (withNonce) facts.requestNonce = decoded.nonce;
  return decoded;
}

/**
 * What answering a request file would license, after the same checks and rules as the answer,
 * writing nothing but a refusal's count: a preview proves a PIN as an answer does, so it is
 * limited and its refusals are counted like the answer's (channel `preview`).
 */
export async function previewRequest(
  ctx: CenterContext,
  text: string,
  meta: ActivationMeta = {},
): Promise<RequestPreview> {
  const now = ctx.now();
  throwIfRefused(admitClient(ctx, meta));
  const facts: RefusalFacts = { channel: 'preview', serial: '' };
  const preview = async (): Promise<Outcome<RequestPreview>> => {
    const decoded = decodeFile(text, facts, false);
    if (isRefusal(decoded)) return decoded;
    const prepared = await prepareFile(ctx, decoded, now, meta);
    if (isRefusal(prepared)) return prepared;
    const granted = await inspect(ctx, prepared.locator, prepared.claim, now);
    return isRefusal(granted) ? granted : previewOf(granted, prepared.request.createdAt, false);
  };
  return settle(ctx, facts, meta, now, await preview());
}

/** Answers a request file with a license file for the requesting computer. */
export async function answerRequest(
  ctx: CenterContext,
  text: string,
  meta: ActivationMeta = {},
): Promise<AnsweredRequest> {
  const now = ctx.now();
  throwIfRefused(admitClient(ctx, meta));
  const facts: RefusalFacts = { channel: 'file', serial: '' };
  const answer = async (): Promise<Outcome<AnsweredRequest>> => {
    const decoded = decodeFile(text, facts, true);
    if (isRefusal(decoded)) return decoded;
    const prepared = await prepareFile(ctx, decoded, now, meta);
    if (isRefusal(prepared)) return prepared;
    const { request, locator, claim } = prepared;
    const granted = await grant(ctx, locator, claim, meta, now);
    if (isRefusal(granted)) return granted;
    return {
      activationId: granted.activationId,
      reactivated: granted.reactivated,
      license: await buildLicense(ctx, granted, now, request.nonce),
      preview: previewOf(granted, request.createdAt, false),
    };
  };
  return settle(ctx, facts, meta, now, await answer());
}

/**
 * The bytes of the answer code of a grant. Without `sign`, a zero signature: used inside the
 * transaction to refuse, before anything is written, a license that an answer code cannot carry.
 */
function answerBytes(ctx: CenterContext, g: Granted, request: RequestCode, now: Date, sign: boolean): Uint8Array {
  const base = {
    activationId: g.activationId,
    pin: g.pinIndex,
    issuedAt: toCodeMinute(now.toISOString()),
    ...(g.pkg.policy === 'software-dongle' ? { policy: 'software-dongle' as const } : {}),
  };
  const entry = licenseEntry(g, true);
  let signature: Uint8Array = new Uint8Array(SIGNATURE_BYTES);
  if (sign) {
    // The document the requesting computer will rebuild (`licenseFromAnswer`); the signature
    // covers its subject digest, so the owner and hardware the center never saw do not matter.
    const doc = licenseFromAnswer(
      { ...base, entry, signature },
      { serial: g.pkg.serial, owner: {}, hardware: UNSEEN_HARDWARE, nonce: request.nonce },
    );
    signature = ctx.signer.sign(licenseSigningBytes(doc, ctx.signer.publicKey, request.subject));
  }
  return encodeAnswerCode({ ...base, entry, signature });
}

/** Refuses, before anything is written, a grant that no answer code can carry. */
function checkAnswerable(ctx: CenterContext, request: RequestCode, now: Date): (g: Granted) => Refusal | null {
  return (g) => {
    if (!SHORT_ID.test(g.activationId) || g.containerId !== g.activationId) {
      return refuse(
        'LICTOR_E_INVALID_INPUT',
        `PIN ${g.pinIndex} of ${g.pkg.serial} was activated on this computer online or with a request file ` +
          `(activation ${g.activationId}); that license cannot be sent as an answer code: reinstall its ` +
          'license file, or answer a request file',
        { field: 'code', activationId: g.activationId },
      );
    }
    if (g.counter > 0) {
      return refuse(
        'LICTOR_E_INVALID_INPUT',
        `the container of PIN ${g.pinIndex} of ${g.pkg.serial} was upgraded remotely; an answer code cannot ` +
          'carry its upgraded state: reinstall its license file, or answer a request file',
        { field: 'code', activationId: g.activationId },
      );
    }
    const bytes = checked(() => answerBytes(ctx, g, request, now, false));
    return isRefusal(bytes) ? bytes : null;
  };
}

/** The request code of `code`; `facts` learn its serial and nonce for a refusal's audit. */
function decodeCode(code: unknown, facts: RefusalFacts): Outcome<{ bytes: Uint8Array; request: RequestCode }> {
  if (typeof code !== 'string' || code.length > 512)
    return invalidInput('code', 'code must be a request code as typed');
  const decoded = checked(() => {
    const bytes = decodeShortCode(code, 'request code');
    return { bytes, request: parseRequestCode(bytes) };
  });
  if (isRefusal(decoded)) return decoded;
  facts.serial = decoded.request.serial;
  facts.requestNonce = decoded.request.nonce;
  return decoded;
}

/**
 * Answers a request code with an answer code. The center sees only digests: the owner stored is
 * what the vendor typed (`owner`), the computer is known by its subject digest alone.
 */
export async function answerRequestCode(
  ctx: CenterContext,
  code: string,
  owner: Owner,
  meta: ActivationMeta = {},
): Promise<AnsweredRequestCode> {
  const now = ctx.now();
  throwIfRefused(admitClient(ctx, meta));
  const facts: RefusalFacts = { channel: 'code', serial: '' };
  const answer = async (): Promise<Outcome<AnsweredRequestCode>> => {
    const decoded = decodeCode(code, facts);
    if (isRefusal(decoded)) return decoded;
    const { bytes, request } = decoded;
    const refused = admitSerial(ctx, meta, request.serial) ?? ageRefusal(ctx, request.createdAt, now, DAY_MS);
    if (refused !== null) return refused;
    const claimed = checked(() => cleanOwner(owner));
    if (isRefusal(claimed)) return claimed;
    const hint = request.pinTagPrefix === undefined ? null : { prefix: request.pinTagPrefix };
    const found = await locateByProof(ctx, request.serial, (pin) => requestCodeProvesPin(bytes, pin), hint);
    if (isRefusal(found)) return found;
    const claim: Claim = {
      channel: 'code',
      owner: claimed,
      hardware: null,
      subject: request.subject,
      requestNonce: request.nonce,
      containerKeys: null,
    };
    const locator: PinLocator = { by: 'index', serial: request.serial, index: found.index };
    const granted = await grant(ctx, locator, claim, meta, now, checkAnswerable(ctx, request, now));
    if (isRefusal(granted)) return granted;
    return {
      activationId: granted.activationId,
      reactivated: granted.reactivated,
      answer: encodeShortCode(answerBytes(ctx, granted, request, now, true)),
      preview: previewOf(granted, request.createdAt, true),
    };
  };
  return settle(ctx, facts, meta, now, await answer());
}
