/**
 * Activation of a PIN code: every rule runs in one transaction with the package locked, so two
 * concurrent activations can never both pass a limit. Signing happens after the commit.
 *
 * The rules are the same whichever way the request came (online, request file, request code);
 * only how the PIN is identified differs: online by its hash, offline by the request's proof
 * (see `offline.ts`), which yields its index before the transaction starts.
 */
import {
  type ActivationRequest,
  type ActivationResponse,
  type ContainerKeys,
  type ContainerPolicy,
  decodeLicenseFile,
  type HardwareParams,
  type IssuedLicenseType,
  isHardwareParams,
  type LicenseDocument,
  type LicenseEntry,
  LictorError,
  matchHardware,
  normalizeHardware,
  normalizePin,
  normalizeSerial,
  type Owner,
  type ServerArch,
  sameComputer,
  subjectDigest,
  type TokenBinding,
  toCodeMinute,
  tokenSubjectDigest,
} from '@lictor/protocol';
import type { Insertable, Kysely, Transaction } from 'kysely';
import type { PackageRow } from '../store/dialect.js';
import { fromJson, type JsonText, toJson } from '../store/json-column.js';
import type { ActivationChannel, ActivationsTable, DB, PinKind } from '../store/schema.js';
import { admitSerial, guardRefusals } from './abuse.js';
import { recordAudit } from './audit.js';
import type { CenterContext } from './context.js';
import { randomId } from './ids.js';
import { invalid } from './input.js';
import { checkOwner, cleanOwner, ownerKey } from './owner.js';
import { hashPin } from './pins.js';
import { type ClaimedToken, verifyTokenActivation } from './token-claims.js';
import { registerToken, tokenNames } from './tokens.js';
import type { ActivationMeta } from './types.js';

export const DAY_MS = 86_400_000;
const MAX_CODE_LENGTH = 64;

/** How the PIN of an activation is identified. */
export type PinLocator =
  /** Online: the PIN as typed, found by its peppered hash. */
  | { by: 'hash'; serial: string; hash: string }
  /** Offline: the index whose PIN the request's proof was made with. */
  | { by: 'index'; serial: string; index: number };

/** Who asks for the activation, as far as the center can know it. */
export interface Claim {
  channel: ActivationChannel;
  /** The owner as sent: written into the license and stored. */
  owner: Owner;
  /**
   * The computer's hardware; `null` for request codes, which carry only {@link Claim.subject}.
   * For a token claim, the computer that asked (recorded, never the binding).
   */
  hardware: HardwareParams | null;
  /** `subjectDigest(owner, hardware)` of the asking computer; `tokenSubjectDigest` for a token claim. */
  subject: string;
  /** The verified token the license is to be bound to instead of the computer (online only). */
  token?: ClaimedToken;
  /** Nonce of the offline request, `null` online. */
  requestNonce: string | null;
  /**
   * The new container's public keys, `null` when the computer sent none. Request codes carry
   * them only inside {@link Claim.subject}: the center never sees them, so `null` there too.
   */
  containerKeys: ContainerKeys | null;
}

/** What the rules decided; the license is built from it after the commit. */
export interface Granted {
  reactivated: boolean;
  activationId: string;
  containerId: string;
  pinIndex: number;
  /** The owner and hardware the license binds; hardware `null` only for request codes. */
  owner: Owner;
  hardware: HardwareParams | null;
  /** The token binding of a token-bound activation, else `null` (bound to `hardware`). */
  token: TokenBinding | null;
  activatedAt: Date;
  pkg: PackageRow;
  productName: string;
  kind: IssuedLicenseType;
  policy: ContainerPolicy;
  /** The keys the license carries (those of the request, also on reactivation). */
  containerKeys: ContainerKeys | null;
  /** Upgrade counter of the license: on reactivation, the highest the center issued. */
  counter: number;
  /** The licenses as remote upgrades left them (reactivation of an upgraded container), else `null`. */
  entries: LicenseEntry[] | null;
}

/** A decision and the writes it needs. */
interface Decision {
  granted: Granted;
  /** Activations of the same computer whose hardware changed: retired by the new one. */
  retire: { id: string; changes: string[] }[];
  /** The new activation; absent on reactivation. */
  insert?: Insertable<ActivationsTable>;
}

/** One code and message for a wrong serial and a wrong PIN, so answers do not reveal which serials exist. */
export function serialOrPinInvalid(): LictorError {
  return new LictorError(
    'LICTOR_E_SERIAL_OR_PIN_INVALID',
    'the serial number or PIN code is wrong: check both as printed on the package',
  );
}

function licenseKind(pkg: PackageRow, pinKind: PinKind): IssuedLicenseType {
  return pkg.license_type === 'combined' ? pinKind : (pkg.license_type as IssuedLicenseType);
}

/** The license's end: the package's absolute end or the activation date plus the days, whichever is first. */
function entryExpiry(pkg: PackageRow, activatedAt: Date): string | null {
  const ends: number[] = [];
  if (pkg.expires_at !== null) ends.push(Date.parse(pkg.expires_at));
  if (pkg.duration_days !== null) ends.push(activatedAt.getTime() + pkg.duration_days * DAY_MS);
  return ends.length === 0 ? null : new Date(Math.min(...ends)).toISOString();
}

/**
 * The license entry a grant gives. `wholeMinutes` for answer codes, which carry minutes: the
 * expiry is rounded down, never extended.
 */
export function licenseEntry(g: Granted, wholeMinutes = false): LicenseEntry {
  const expiresAt = entryExpiry(g.pkg, g.activatedAt);
  return {
    product: g.pkg.product_code,
    type: g.kind,
    users: g.kind === 'multi' ? g.pkg.users : 1,
    sessions: g.kind === 'server-sessions' ? g.pkg.sessions : null,
    arch: g.kind === 'server' || g.kind === 'server-sessions' ? (g.pkg.arch as ServerArch | null) : null,
    expiresAt: wholeMinutes && expiresAt !== null ? toCodeMinute(expiresAt) : expiresAt,
    features: fromJson(g.pkg.features),
  };
}

/** Signs the license file of a grant that knows its hardware (online and request files). */
export function buildLicense(
  ctx: CenterContext,
  g: Granted,
  now: Date,
  requestNonce: string | null = null,
): Promise<string> {
  if (g.hardware === null && g.token === null) throw new Error('a license file needs the hardware or token it binds');
  const doc: LicenseDocument = {
    ...(g.policy === 'software-dongle' ? { policy: g.policy } : {}),
    ...(g.containerKeys === null ? {} : { containerKeys: g.containerKeys }),
    format: 1,
    containerId: g.containerId,
    activationId: g.activationId,
    serial: g.pkg.serial,
    pin: g.pinIndex,
    issuedAt: now.toISOString(),
    counter: g.counter,
    owner: g.owner,
    binding: g.token ?? { kind: 'hardware', hardware: g.hardware as HardwareParams },
    licenses: g.entries ?? [licenseEntry(g)],
    ...(requestNonce === null ? {} : { requestNonce }),
  };
  return ctx.sealer.seal(doc);
}

/** Stored hardware: `null` for activations by request code. */
function storedHardware(text: JsonText<HardwareParams | null>): HardwareParams | null {
  return fromJson(text);
}

/** The PIN, its package (locked when `lock`), the product's name and required owner fields. */
function findPin(ctx: CenterContext, db: Kysely<DB>, locator: PinLocator, lock: boolean) {
  const base = db
    .selectFrom('pins')
    .innerJoin('packages', 'packages.serial', 'pins.serial')
    .innerJoin('products', 'products.code', 'packages.product_code')
    .selectAll('packages')
    .select([
      'pins.idx as pin_idx',
      'pins.kind as pin_kind',
      'products.name as product_name',
      'products.required_owner_fields',
    ]);
  const query =
    locator.by === 'hash'
      ? base.where('pins.pin_hash', '=', locator.hash)
      : base.where('pins.serial', '=', locator.serial).where('pins.idx', '=', locator.index);
  return (lock ? ctx.dialect.lockRows(query, 'packages') : query).executeTakeFirst();
}

type FoundPin = NonNullable<Awaited<ReturnType<typeof findPin>>>;

/** Every activation of a package: this PIN's own, the kinds used, the active ones. */
function packageActivations(db: Kysely<DB>, serial: string) {
  return db
    .selectFrom('activations')
    .select([
      'id',
      'pin_idx',
      'container_id',
      'owner',
      'owner_key',
      'hardware',
      'subject',
      'status',
      'license_kind',
      'created_at',
      'counter',
      'token_key',
    ])
    .where('serial', '=', serial)
    .execute();
}

type ActivationRow = Awaited<ReturnType<typeof packageActivations>>[number];

/** The subject of a stored activation; rows made before subjects were stored have it computed. */
function subjectOf(row: ActivationRow, hardware: HardwareParams | null): string | null {
  if (row.subject !== null) return row.subject;
  return hardware === null ? null : subjectDigest(fromJson(row.owner), hardware);
}

/**
 * Whether an active activation is the asking owner's on the asking computer. With both
 * hardware lists known the comparison is tolerant (the same owner, the hardware matching as
 * license checks do); otherwise only the subject digests can be compared, exactly.
 */
function sameClaimant(row: ActivationRow, claim: Claim): boolean {
  // A token-bound activation is the same claimant's only for the same owner and the same token.
  if (claim.token !== undefined || row.token_key !== null) {
    return row.token_key === claim.token?.binding.publicKey && row.owner_key === ownerKey(claim.owner);
  }
  const activated = storedHardware(row.hardware);
  if (activated !== null && claim.hardware !== null) {
    return row.owner_key === ownerKey(claim.owner) && matchHardware(activated, claim.hardware).ok;
  }
  return subjectOf(row, activated) === claim.subject;
}

/** The keys of the token-bound activations among `rows`. */
function tokenKeys(rows: ActivationRow[]): string[] {
  return [...new Set(rows.flatMap((r) => (r.token_key === null ? [] : [r.token_key])))];
}

/** The refusal of a PIN activated by someone else, naming the token it is bound to if it is. */
function pinUsed(
  existing: ActivationRow,
  claim: Claim,
  serial: string,
  pinIndex: number,
  names: Map<string, string>,
): LictorError {
  const details = { serial, pinIndex };
  if (existing.token_key === null) {
    return new LictorError(
      'LICTOR_E_PIN_USED',
      claim.token === undefined
        ? 'this PIN code is already activated on another computer or for another owner; use another PIN code of the package'
        : 'this PIN code is already activated on a computer, not on a hardware token: each PIN code binds to one ' +
            'computer or one token; use another PIN code of the package',
      details,
    );
  }
  const token = names.get(existing.token_key) ?? 'another hardware token';
  const sameToken = existing.token_key === claim.token?.binding.publicKey;
  return new LictorError(
    'LICTOR_E_PIN_USED',
    sameToken
      ? `this PIN code is already activated on the hardware token ${token} for another owner; use another PIN code of the package`
      : `this PIN code is bound to the hardware token ${token}: each PIN code binds to one token only; ` +
          'use another PIN code of the package, or that token',
    { ...details, token },
  );
}

/** Applies the PIN rules to what the database holds; throws the refusal, writes nothing. */
function evaluate(
  ctx: CenterContext,
  found: FoundPin,
  activations: ActivationRow[],
  claim: Claim,
  meta: ActivationMeta,
  now: Date,
  names: Map<string, string>,
): Decision {
  const {
    pin_idx: pinIndex,
    pin_kind: pinKind,
    product_name: productName,
    required_owner_fields: requiredFields,
    ...pkg
  } = found;
  checkOwner(cleanOwner(claim.owner), fromJson(requiredFields));

  if (pkg.status === 'blacklisted') {
    throw new LictorError('LICTOR_E_BLACKLISTED', `serial ${pkg.serial} is blacklisted by the vendor`, {
      serial: pkg.serial,
    });
  }
  if (pkg.expires_at !== null && now.getTime() >= Date.parse(pkg.expires_at)) {
    throw new LictorError('LICTOR_E_PACKAGE_EXPIRED', `package ${pkg.serial} expired on ${pkg.expires_at}`, {
      expiresAt: pkg.expires_at,
    });
  }

  const kind = licenseKind(pkg, pinKind);
  const policy = pkg.policy;
  const dongle = policy === 'software-dongle';
  const token = claim.token?.binding ?? null;
  const base = { pinIndex, pkg, productName, kind, policy, containerKeys: claim.containerKeys, token, entries: null };

  const existing = activations.find((a) => a.pin_idx === pinIndex);
  if (existing !== undefined) {
    if (existing.status === 'revoked') {
      throw new LictorError('LICTOR_E_BLACKLISTED', 'the activation of this PIN code was blacklisted by the vendor', {
        activationId: existing.id,
      });
    }
    if (dongle) {
      throw new LictorError(
        'LICTOR_E_PIN_USED',
        `package ${pkg.serial} is a software dongle: each PIN code is activated once, on one computer, and is not ` +
          'transferable; this PIN code was already activated. Use another PIN code of the package',
        { serial: pkg.serial, pinIndex, policy },
      );
    }
    if (existing.status === 'active' && sameClaimant(existing, claim)) {
      const activated = storedHardware(existing.hardware);
      // Online, the binding stays the hardware at activation: later checks always compare with
      // it. An offline answer must bind what its request carries: the requesting computer
      // accepts only a license for the owner and hardware it sent.
      const keep = claim.channel === 'online' && (activated !== null || token !== null);
      return {
        granted: {
          ...base,
          reactivated: true,
          activationId: existing.id,
          containerId: existing.container_id,
          owner: keep ? fromJson(existing.owner) : claim.owner,
          hardware: keep && token === null ? activated : claim.hardware,
          activatedAt: new Date(existing.created_at),
          counter: existing.counter,
        },
        retire: [],
      };
    }
    throw pinUsed(existing, claim, pkg.serial, pinIndex, names);
  }

  if (pkg.license_type === 'combined') {
    const other: PinKind = pinKind === 'single' ? 'multi' : 'single';
    if (activations.some((a) => a.license_kind === other)) {
      throw new LictorError(
        'LICTOR_E_COMBINED_LOCKED',
        `a ${other}-user PIN code of this combined package was already activated, so its ${pinKind}-user PIN codes cannot be`,
        { lockedBy: other },
      );
    }
  }

  const retire: Decision['retire'] = [];
  let activeCount = 0;
  for (const old of activations) {
    if (old.status !== 'active') continue;
    activeCount += 1;
    // A software dongle is never transferred: a changed computer's activation keeps its place.
    if (dongle) continue;
    // A token is not a computer: a token activation never retires one, and is never retired as one.
    if (claim.token !== undefined || old.token_key !== null) continue;
    // A changed computer's old activation is retired only when both hardware lists are known.
    // A request code carries no hardware, and an activation made by one stored none: the
    // center cannot tell that such a computer is the same one changed, so that activation keeps
    // its place until the vendor deactivates it.
    const oldHardware = storedHardware(old.hardware);
    if (oldHardware === null || claim.hardware === null || !sameComputer(oldHardware, claim.hardware)) continue;
    const match = matchHardware(oldHardware, claim.hardware);
    if (match.ok) continue;
    retire.push({ id: old.id, changes: match.changes.map((c) => c.message) });
    activeCount -= 1;
  }
  if (activeCount >= pkg.max_active) {
    throw new LictorError(
      'LICTOR_E_ACTIVE_PIN_LIMIT',
      `${activeCount} of ${pkg.max_active} PIN codes of package ${pkg.serial} are already active; ` +
        'the vendor can deactivate one or sell more',
      { active: activeCount, maxActive: pkg.max_active },
    );
  }

  // An answer code carries one 8-byte id that is also the container's.
  const id = claim.channel === 'code' ? ctx.newShortId() : ctx.newId();
  const insert: Insertable<ActivationsTable> = {
    id,
    serial: pkg.serial,
    pin_idx: pinIndex,
    container_id: claim.channel === 'code' ? id : randomId(),
    owner: toJson(claim.owner),
    owner_key: ownerKey(claim.owner),
    hardware: toJson(claim.hardware),
    subject: claim.subject,
    channel: claim.channel,
    request_nonce: claim.requestNonce,
    status: 'active',
    license_kind: kind,
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
    retired_at: null,
    retired_reason: null,
    client_ip: meta.clientIp ?? null,
    container_keys: claim.containerKeys === null ? null : toJson(claim.containerKeys),
    counter: 0,
    token_key: token?.publicKey ?? null,
  };
  return {
    granted: {
      ...base,
      reactivated: false,
      activationId: insert.id,
      containerId: insert.container_id,
      owner: claim.owner,
      hardware: claim.hardware,
      activatedAt: now,
      counter: 0,
    },
    retire,
    insert,
  };
}

/** Writes a decision and its audit events in the caller's transaction. */
async function apply(
  ctx: CenterContext,
  trx: Transaction<DB>,
  d: Decision,
  claim: Claim,
  meta: ActivationMeta,
  now: Date,
): Promise<void> {
  const { granted: g } = d;
  const facts = {
    serial: g.pkg.serial,
    pinIndex: g.pinIndex,
    channel: claim.channel,
    ...(claim.requestNonce === null ? {} : { requestNonce: claim.requestNonce }),
    ...(claim.token === undefined ? {} : { token: claim.token.fingerprint }),
    clientIp: meta.clientIp ?? null,
  };
  if (claim.token !== undefined) await registerToken(ctx, trx, claim.token, now);
  if (d.insert === undefined) {
    // The license is issued again with the keys of this request (a computer that lost its
    // container keys gets remote upgrades back); answers still pending can no longer apply.
    const keys = g.containerKeys ?? undefined;
    const subject =
      g.token !== null
        ? tokenSubjectDigest(g.owner, g.token, keys)
        : claim.channel === 'code' || g.hardware === null
          ? null
          : subjectDigest(g.owner, g.hardware, keys);
    const rekey =
      subject === null ? {} : { container_keys: g.containerKeys === null ? null : toJson(g.containerKeys), subject };
    await trx
      .updateTable('activations')
      .set({ updated_at: now.toISOString(), ...rekey })
      .where('id', '=', g.activationId)
      .execute();
    await trx
      .updateTable('upgrades')
      .set({ status: 'superseded' })
      .where('activation_id', '=', g.activationId)
      .where('status', '=', 'pending')
      .execute();
    await recordAudit(ctx, trx, now, {
      actor: 'client',
      action: 'activation.reactivate',
      subject: g.activationId,
      details: facts,
    });
    return;
  }
  for (const old of d.retire) {
    await trx
      .updateTable('activations')
      .set({
        status: 'retired',
        retired_at: now.toISOString(),
        retired_reason: 'hardware changed',
        updated_at: now.toISOString(),
      })
      .where('id', '=', old.id)
      .execute();
    await recordAudit(ctx, trx, now, {
      actor: 'center',
      action: 'activation.retire',
      subject: old.id,
      details: { serial: g.pkg.serial, reason: 'hardware changed', changes: old.changes },
    });
  }
  await trx.insertInto('activations').values(d.insert).execute();
  await recordAudit(ctx, trx, now, {
    actor: 'client',
    action: 'activation.create',
    subject: d.insert.id,
    details: { ...facts, kind: g.kind },
  });
}

/**
 * The licenses of a reactivated container as its latest confirmed upgrade left them; `null`
 * when none was confirmed (the package's entry applies).
 */
async function upgradedEntries(ctx: CenterContext, db: Kysely<DB>, g: Granted): Promise<LicenseEntry[] | null> {
  const latest = await db
    .selectFrom('upgrades')
    .select('answer')
    .where('activation_id', '=', g.activationId)
    .where('status', '=', 'confirmed')
    .orderBy('to_counter', 'desc')
    .limit(1)
    .executeTakeFirst();
  return latest === undefined ? null : decodeLicenseFile(latest.answer, ctx.signer.publicKey).licenses;
}

/**
 * Reads what the PIN rules need and applies them. With `lock`, `db` is the caller's transaction
 * and the package stays locked until it ends.
 */
async function decide(
  ctx: CenterContext,
  db: Kysely<DB>,
  locator: PinLocator,
  claim: Claim,
  meta: ActivationMeta,
  now: Date,
  lock: boolean,
): Promise<Decision> {
  const found = await findPin(ctx, db, locator, lock);
  if (found === undefined || found.serial !== locator.serial) throw serialOrPinInvalid();
  const activations = await packageActivations(db, found.serial);
  const names = await tokenNames(db, tokenKeys(activations));
  const decision = evaluate(ctx, found, activations, claim, meta, now, names);
  if (decision.granted.counter > 0) decision.granted.entries = await upgradedEntries(ctx, db, decision.granted);
  return decision;
}

/**
 * Runs the PIN rules and records the outcome, in one transaction with the package locked.
 * `check` may refuse the decision before anything is written (an answer code checks that the
 * license fits in one).
 */
export function grant(
  ctx: CenterContext,
  locator: PinLocator,
  claim: Claim,
  meta: ActivationMeta,
  now: Date,
  check?: (g: Granted) => void,
): Promise<Granted> {
  return ctx.db.transaction().execute(async (trx) => {
    const decision = await decide(ctx, trx, locator, claim, meta, now, true);
    check?.(decision.granted);
    await apply(ctx, trx, decision, claim, meta, now);
    return decision.granted;
  });
}

/** What {@link grant} would decide now, without locking or writing anything. */
export async function inspect(ctx: CenterContext, locator: PinLocator, claim: Claim, now: Date): Promise<Granted> {
  return (await decide(ctx, ctx.db, locator, claim, {}, now, false)).granted;
}

/** What a refusal audit records besides its code. */
export interface RefusalFacts {
  channel: ActivationChannel;
  /** Normalized serial, once known. */
  serial: string;
  requestNonce?: string;
}

/** The serial a refusal audit names: normalized, cut to a serial's length, `''` when not text. */
export function auditedSerial(value: unknown): string {
  return typeof value === 'string' ? normalizeSerial(value.slice(0, MAX_CODE_LENGTH)) : '';
}

/**
 * Runs `work`; the client is admitted by its address first, and a refusal is counted and
 * audited (aggregated, see `abuse.ts`) with its code and channel (never the PIN) and rethrown.
 */
export async function auditRefusal<T>(
  ctx: CenterContext,
  facts: RefusalFacts,
  meta: ActivationMeta,
  now: Date,
  work: () => Promise<T>,
): Promise<T> {
  return guardRefusals(ctx, facts, meta, now, work);
}

/** The checked, normalized online request. */
interface CleanRequest {
  serial: string;
  pin: string;
  owner: Owner;
  hardware: HardwareParams;
  containerKeys: ContainerKeys | null;
}

const KEY_TEXT = /^[A-Za-z0-9_-]{1,64}$/;

/** Checks the shape of container keys sent by a computer (their use is checked on upgrade). */
export function cleanContainerKeys(value: unknown, field = 'containerKeys'): ContainerKeys | null {
  if (value === undefined || value === null) return null;
  const k = value as Record<string, unknown>;
  if (typeof value !== 'object' || typeof k.sign !== 'string' || typeof k.box !== 'string') {
    invalid(field, `${field} must hold the container's public keys 'sign' and 'box'`);
  }
  if (!KEY_TEXT.test(k.sign) || !KEY_TEXT.test(k.box)) {
    invalid(field, `${field} must hold base64url keys of at most 64 characters`);
  }
  return { sign: k.sign, box: k.box };
}

function cleanRequest(request: ActivationRequest): CleanRequest {
  const { serial, pin } = request;
  if (typeof serial !== 'string' || serial.length > MAX_CODE_LENGTH) {
    invalid('serial', 'serial must be the serial number printed on the package');
  }
  if (typeof pin !== 'string' || pin.length > MAX_CODE_LENGTH) {
    invalid('pin', 'pin must be a PIN code printed on the package');
  }
  if (!isHardwareParams(request.hardware)) {
    invalid('hardware', 'hardware must be the parameters collected by the Lictor SDK');
  }
  return {
    serial: normalizeSerial(serial),
    pin: normalizePin(pin),
    owner: cleanOwner(request.owner),
    hardware: normalizeHardware(request.hardware),
    containerKeys: cleanContainerKeys(request.containerKeys),
  };
}

/**
 * Activates a PIN code online; refusals are audited with their code (never the PIN) and rethrown.
 * With `request.token`, the license is bound to that token once its claim verifies (see
 * `token-claims.ts`): each PIN binds to one token, and the same owner with the same token
 * reactivates.
 */
export async function activate(
  ctx: CenterContext,
  request: ActivationRequest,
  meta: ActivationMeta = {},
): Promise<ActivationResponse> {
  const now = ctx.now();
  return auditRefusal(ctx, { channel: 'online', serial: auditedSerial(request.serial) }, meta, now, async () => {
    const req = cleanRequest(request);
    admitSerial(ctx, meta, req.serial);
    const keys = req.containerKeys ?? undefined;
    const token = request.token === undefined ? undefined : verifyTokenActivation(request.token, req.serial, now);
    const claim: Claim = {
      channel: 'online',
      owner: req.owner,
      hardware: req.hardware,
      subject:
        token === undefined
          ? subjectDigest(req.owner, req.hardware, keys)
          : tokenSubjectDigest(req.owner, token.binding, keys),
      requestNonce: null,
      containerKeys: req.containerKeys,
      ...(token === undefined ? {} : { token }),
    };
    const locator: PinLocator = { by: 'hash', serial: req.serial, hash: hashPin(ctx.pinPepper, req.serial, req.pin) };
    const granted = await grant(ctx, locator, claim, meta, now);
    // Signed after the commit to keep the package lock short. Should signing fail, the client
    // retries and gets the same activation back as a reactivation.
    return {
      activationId: granted.activationId,
      reactivated: granted.reactivated,
      license: await buildLicense(ctx, granted, now),
    };
  });
}
