/**
 * Activation of a PIN code, in the shape of every center use case: load → decide → apply →
 * seal after the commit. The PIN and its product (which never change) are read first; then one
 * short transaction holds the package, reads its state by index (its count of active
 * activations, the PIN's own activation, the same computer's activations by their hardware
 * marks), decides with the pure {@link decideActivation} (a grant or a `Refusal`, never a throw)
 * and writes, so that two concurrent activations can never both pass a limit. Its cost does not
 * grow with the activations the package holds. The license is signed after the commit.
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
import type { Insertable, Kysely, Selectable, Transaction } from 'kysely';
import type { PackageRow } from '../store/dialect.js';
import { hardwareMarks } from '../store/hardware-marks.js';
import { fromJson, type JsonText, toJson } from '../store/json-column.js';
import { prepare } from '../store/prepared.js';
import type {
  ActivationChannel,
  ActivationStatus,
  ActivationsTable,
  DB,
  PinKind,
  TokensTable,
} from '../store/schema.js';
import { admitClient, admitSerial, settle } from './abuse.js';
import { recordAudit } from './audit.js';
import type { CenterContext } from './context.js';
import { randomId } from './ids.js';
import { invalid } from './input.js';
import { checked, inTransaction, isRefusal, type Outcome, type Refusal, refuse, throwIfRefused } from './outcome.js';
import { cleanOwner, ownerKey, ownerRefusal } from './owner.js';
import { hashPin } from './pins.js';
import { type ClaimedToken, verifyTokenActivation } from './token-claims.js';
import { registerToken, sameTokenIdentity, tokenIdentityRefusal, tokenNames, tokenRow } from './tokens.js';
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
  /** The signed answer {@link Granted.entries} are read from, after the commit. */
  upgradedAnswer: string | null;
}

/** A decision and the writes it needs. */
interface Decision {
  granted: Granted;
  /** Activations of the same computer whose hardware changed: retired by the new one. */
  retire: { id: string; changes: string[] }[];
  /** The new activation; absent on reactivation. */
  insert?: NewActivation;
  /** The token to register (its first activation); absent when registered already or no token. */
  registerToken?: ClaimedToken;
}

/** One code and message for a wrong serial and a wrong PIN, so answers do not reveal which serials exist. */
export function serialOrPinInvalid(): Refusal {
  return refuse(
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
  const { borrow_days: borrowDays, grace_minutes: graceMinutes } = g.pkg;
  return {
    product: g.pkg.product_code,
    type: g.kind,
    users: g.kind === 'multi' ? g.pkg.users : 1,
    sessions: g.kind === 'server-sessions' ? g.pkg.sessions : null,
    arch: g.kind === 'server' || g.kind === 'server-sessions' ? (g.pkg.arch as ServerArch | null) : null,
    expiresAt: wholeMinutes && expiresAt !== null ? toCodeMinute(expiresAt) : expiresAt,
    features: fromJson(g.pkg.features),
    // The License Manager's terms; an answer code has no room for them (docs/rules.md, Borrowing).
    ...(wholeMinutes || borrowDays === null || borrowDays === undefined ? {} : { borrowDays }),
    ...(wholeMinutes || graceMinutes === null || graceMinutes === undefined ? {} : { graceMinutes }),
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

/** The PIN as the database knows it, with its product: facts that never change once issued. */
interface PinFacts {
  serial: string;
  idx: number;
  kind: PinKind;
  productName: string;
  requiredOwnerFields: string[];
}

/** The columns of a stored activation the PIN rules look at. */
const ACTIVATION_COLUMNS = [
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
] as const;

type ActivationRow = Pick<Selectable<ActivationsTable>, (typeof ACTIVATION_COLUMNS)[number]>;

/** What the PIN rules need of the database beyond the PIN: read under the package lock when granting. */
interface PackageState {
  pkg: PackageRow;
  /** This PIN's activation, if it was ever activated. */
  own: ActivationRow | undefined;
  /** How the token `own` is bound to is named in refusals (`null`: not bound, or not registered). */
  ownTokenName: string | null;
  /** Active activations of the package. */
  activeCount: number;
  /** Combined packages: whether a PIN of the other kind was ever activated. */
  otherKindUsed: boolean;
  /**
   * Active activations bound to hardware that describe the claim's computer (`sameComputer`):
   * those a changed computer retires. Empty when the claim has no hardware or is for a token.
   */
  sameComputer: ActivationRow[];
  /** The register's row of the claimed token, if it is registered. */
  claimedToken: Selectable<TokensTable> | undefined;
  /** The answer of `own`'s latest confirmed upgrade (its licenses are reissued on reactivation). */
  upgradedAnswer: string | null;
}

/** The values of {@link pinQuery}: the PIN's hash, or its serial and index. */
interface PinQueryParams {
  hash: string;
  serial: string;
  index: number;
}

/**
 * The PIN (by its hash online, by its index offline) and its product: what never changes once
 * issued, so it is read before the package is locked. A wrong PIN is refused without a lock.
 *
 * The hot queries of an activation read one table each and reach the others through scalar
 * subqueries by key: on SQLite (3.54) the pins–packages join took about three times the CPU of
 * the same lookups as subqueries (`bench/center-held.ts` measures a transaction both ways).
 */
const pinQuery = prepare<PinQueryParams>()((db, param, by: string) => {
  const base = db.selectFrom('pins').select((eb) => {
    const productCode = eb
      .selectFrom('packages')
      .select('packages.product_code')
      .whereRef('packages.serial', '=', 'pins.serial');
    const product = eb.selectFrom('products').where('products.code', '=', productCode);
    return [
      'pins.serial',
      'pins.idx',
      'pins.kind',
      product.select('products.name').$asScalar().as('product_name'),
      product.select('products.required_owner_fields').$asScalar().as('required_owner_fields'),
    ];
  });
  return by === 'hash'
    ? base.where('pins.pin_hash', '=', param('hash'))
    : base.where('pins.serial', '=', param('serial')).where('pins.idx', '=', param('index'));
});

/** The PIN of `locator` and its product; `undefined` when there is no such PIN. */
async function findPin(ctx: CenterContext, db: Kysely<DB>, locator: PinLocator): Promise<PinFacts | undefined> {
  const params =
    locator.by === 'hash'
      ? { hash: locator.hash, serial: '', index: 0 }
      : { hash: '', serial: locator.serial, index: locator.index };
  const [row] = (await pinQuery.execute(ctx.dialect, db, params, locator.by)).rows;
  if (row === undefined || row.product_name === null || row.required_owner_fields === null) return undefined;
  return {
    serial: row.serial,
    idx: row.idx,
    kind: row.kind,
    productName: row.product_name,
    requiredOwnerFields: fromJson(row.required_owner_fields),
  };
}

/** The values of {@link packageQuery}: the package, the PIN, the other kind of PIN, the claim's marks. */
interface PackageQueryParams {
  serial: string;
  index: number;
  otherKind: PinKind;
  [mark: `mark${number}`]: string;
}

/**
 * The package, its PIN's own activation, and what the package's indexes tell: whether a
 * combined package's other kind of PIN was ever activated, and whether an active activation
 * shares one of the claim's marks (the same computer: its rows are read only then). The shape is
 * the number of marks.
 */
const packageQuery = prepare<PackageQueryParams>()((db, param, count: number) => {
  const marks = Array.from({ length: count }, (_, i) => param(`mark${i}`));
  return db
    .selectFrom('packages')
    .selectAll('packages')
    .select((eb) => {
      const own = eb
        .selectFrom('activations as own')
        .whereRef('own.serial', '=', 'packages.serial')
        .where('own.pin_idx', '=', param('index'));
      return [
        own.select('own.id').$asScalar().as('own_id'),
        own.select('own.container_id').$asScalar().as('own_container_id'),
        own.select('own.owner').$asScalar().as('own_owner'),
        own.select('own.owner_key').$asScalar().as('own_owner_key'),
        own.select('own.hardware').$asScalar().as('own_hardware'),
        own.select('own.subject').$asScalar().as('own_subject'),
        own.select('own.status').$asScalar().as('own_status'),
        own.select('own.license_kind').$asScalar().as('own_license_kind'),
        own.select('own.created_at').$asScalar().as('own_created_at'),
        own.select('own.counter').$asScalar().as('own_counter'),
        own.select('own.token_key').$asScalar().as('own_token_key'),
        eb
          .case()
          .when('packages.license_type', '=', 'combined')
          .then(
            eb.exists(
              eb
                .selectFrom('activations as k')
                .select('k.id')
                .whereRef('k.serial', '=', 'packages.serial')
                .where('k.license_kind', '=', param('otherKind')),
            ),
          )
          .else(eb.lit(false))
          .end()
          .as('other_kind_used'),
        marks.length === 0
          ? eb.lit(false).as('same_computer')
          : eb
              .case()
              .when('packages.active_count', '>', 0)
              .then(
                eb.exists(
                  eb
                    .selectFrom('hardware_marks as m')
                    .select('m.mark')
                    .whereRef('m.serial', '=', 'packages.serial')
                    .where('m.mark', 'in', marks),
                ),
              )
              .else(eb.lit(false))
              .end()
              .as('same_computer'),
      ];
    })
    .where('packages.serial', '=', param('serial'));
});

/** Runs {@link packageQuery} for `pin` and the claim's `marks`. */
async function readPackage(ctx: CenterContext, db: Kysely<DB>, pin: PinFacts, marks: string[]) {
  const params: PackageQueryParams = {
    serial: pin.serial,
    index: pin.idx,
    otherKind: pin.kind === 'single' ? 'multi' : 'single',
  };
  for (const [i, mark] of marks.entries()) params[`mark${i}`] = mark;
  const [row] = (await packageQuery.execute(ctx.dialect, db, params, marks.length)).rows;
  if (row === undefined) throw new Error(`package ${pin.serial} of a PIN is missing`);
  const {
    own_id,
    own_container_id,
    own_owner,
    own_owner_key,
    own_hardware,
    own_subject,
    own_status,
    own_license_kind,
    own_created_at,
    own_counter,
    own_token_key,
    other_kind_used,
    same_computer,
    ...pkg
  } = row;
  const own: ActivationRow | undefined =
    own_id === null
      ? undefined
      : {
          id: own_id,
          pin_idx: pin.idx,
          container_id: own_container_id as string,
          owner: own_owner as JsonText<Owner>,
          owner_key: own_owner_key as string,
          hardware: own_hardware as JsonText<HardwareParams | null>,
          subject: own_subject,
          status: own_status as ActivationStatus,
          license_kind: own_license_kind as string,
          created_at: own_created_at as string,
          counter: Number(own_counter),
          token_key: own_token_key,
        };
  // SQLite answers EXISTS with 0 or 1, PostgreSQL with a boolean.
  return {
    pkg: pkg as PackageRow,
    own,
    otherKindUsed: Boolean(other_kind_used),
    sameComputer: Boolean(same_computer),
  };
}

/** Active activations of `serial` bound to hardware that share a mark with `marks` (the same computer). */
async function sameComputerActivations(db: Kysely<DB>, serial: string, marks: string[]): Promise<ActivationRow[]> {
  // Marks are kept for active activations only; the status is checked all the same.
  return db
    .selectFrom('hardware_marks as m')
    .innerJoin('activations as a', 'a.id', 'm.activation_id')
    .select([
      'a.id',
      'a.pin_idx',
      'a.container_id',
      'a.owner',
      'a.owner_key',
      'a.hardware',
      'a.subject',
      'a.status',
      'a.license_kind',
      'a.created_at',
      'a.counter',
      'a.token_key',
    ])
    .where('m.serial', '=', serial)
    .where('m.mark', 'in', marks)
    .where('a.status', '=', 'active')
    .execute()
    .then(distinctById);
}

/** Rows once each (an activation shares several marks with a computer), in the order they were made. */
function distinctById(rows: ActivationRow[]): ActivationRow[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The marks of the computer a claim is for; none for request codes and token claims (nothing to retire). */
function claimMarks(claim: Claim): string[] {
  return claim.hardware === null || claim.token !== undefined ? [] : hardwareMarks(claim.hardware);
}

/**
 * Reads what {@link decideActivation} needs of the package, each by index: the package (and its
 * count of active activations), the PIN's activation, and only what the rules will look at (the
 * same computer's activations by their marks, the other kind's use in a combined package, a
 * token's registration, an upgraded container's licenses). The cost does not grow with the
 * activations the package holds.
 */
async function loadState(
  ctx: CenterContext,
  db: Kysely<DB>,
  pin: PinFacts,
  claim: Claim,
  marks: string[],
): Promise<PackageState> {
  const found = await readPackage(ctx, db, pin, marks);
  const { pkg, own } = found;
  // Only a new activation of a transferable package retires a changed computer's activation.
  const retiring = own === undefined && found.sameComputer && pkg.policy !== 'software-dongle';
  const tokenKey = own?.token_key ?? null;
  const sameComputer = retiring ? await sameComputerActivations(db, pin.serial, marks) : [];
  ctx.work.activationsRead += (own === undefined ? 0 : 1) + sameComputer.length;
  return {
    pkg,
    own,
    ownTokenName: tokenKey === null ? null : ((await tokenNames(db, [tokenKey])).get(tokenKey) ?? null),
    activeCount: pkg.active_count,
    otherKindUsed: found.otherKindUsed,
    sameComputer,
    claimedToken: claim.token === undefined ? undefined : await tokenRow(db, claim.token.binding.publicKey),
    upgradedAnswer: own !== undefined && own.counter > 0 ? await upgradedAnswer(db, own.id) : null,
  };
}

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

/** The refusal of a PIN activated by someone else, naming the token it is bound to if it is. */
function pinUsed(existing: ActivationRow, tokenName: string | null, claim: Claim, serial: string, pinIndex: number) {
  const details = { serial, pinIndex };
  if (existing.token_key === null) {
    return refuse(
      'LICTOR_E_PIN_USED',
      claim.token === undefined
        ? 'this PIN code is already activated on another computer or for another owner; use another PIN code of the package'
        : 'this PIN code is already activated on a computer, not on a hardware token: each PIN code binds to one ' +
            'computer or one token; use another PIN code of the package',
      details,
    );
  }
  const token = tokenName ?? 'another hardware token';
  const sameToken = existing.token_key === claim.token?.binding.publicKey;
  return refuse(
    'LICTOR_E_PIN_USED',
    sameToken
      ? `this PIN code is already activated on the hardware token ${token} for another owner; use another PIN code of the package`
      : `this PIN code is bound to the hardware token ${token}: each PIN code binds to one token only; ` +
          'use another PIN code of the package, or that token',
    { ...details, token },
  );
}

/** The ids a new activation would get (made before deciding, so that deciding stays pure). */
export interface NewIds {
  activationId: string;
  containerId: string;
}

/** The ids of a new activation by `channel`: an answer code carries one 8-byte id that is also the container's. */
export function newIds(ctx: CenterContext, channel: ActivationChannel): NewIds {
  if (channel === 'code') {
    const id = ctx.newShortId();
    return { activationId: id, containerId: id };
  }
  return { activationId: ctx.newId(), containerId: randomId() };
}

/**
 * The PIN rules (pure): the grant and the writes it needs, or the refusal. `state` is what the
 * database holds; nothing is read or written here.
 */
function decideActivation(
  pin: PinFacts,
  state: PackageState,
  claim: Claim,
  meta: ActivationMeta,
  now: Date,
  ids: NewIds,
): Outcome<Decision> {
  const { pkg, own: existing } = state;
  const pinIndex = pin.idx;
  const owner = checked(() => cleanOwner(claim.owner));
  if (isRefusal(owner)) return owner;
  const ownerMissing = ownerRefusal(owner, pin.requiredOwnerFields);
  if (ownerMissing !== null) return ownerMissing;

  if (pkg.status === 'blacklisted') {
    return refuse('LICTOR_E_BLACKLISTED', `serial ${pkg.serial} is blacklisted by the vendor`, {
      serial: pkg.serial,
    });
  }
  if (pkg.expires_at !== null && now.getTime() >= Date.parse(pkg.expires_at)) {
    return refuse('LICTOR_E_PACKAGE_EXPIRED', `package ${pkg.serial} expired on ${pkg.expires_at}`, {
      expiresAt: pkg.expires_at,
    });
  }

  const kind = licenseKind(pkg, pin.kind);
  const policy = pkg.policy;
  const dongle = policy === 'software-dongle';
  const token = claim.token?.binding ?? null;
  const productName = pin.productName;
  const base = { pinIndex, pkg, productName, kind, policy, containerKeys: claim.containerKeys, token, entries: null };

  // A token key is registered under the identity of its first activation: a claim of another
  // identity for the same key is refused (after the PIN rules, which decide first).
  const registered = state.claimedToken;
  const tokenClash =
    claim.token !== undefined && registered !== undefined && !sameTokenIdentity(claim.token, registered)
      ? tokenIdentityRefusal(claim.token, registered)
      : null;
  const registerToken = claim.token !== undefined && registered === undefined ? claim.token : undefined;

  if (existing !== undefined) {
    if (existing.status === 'revoked') {
      return refuse('LICTOR_E_BLACKLISTED', 'the activation of this PIN code was blacklisted by the vendor', {
        activationId: existing.id,
      });
    }
    if (dongle) {
      return refuse(
        'LICTOR_E_PIN_USED',
        `package ${pkg.serial} is a software dongle: each PIN code is activated once, on one computer, and is not ` +
          'transferable; this PIN code was already activated. Use another PIN code of the package',
        { serial: pkg.serial, pinIndex, policy },
      );
    }
    if (existing.status === 'active' && sameClaimant(existing, claim)) {
      if (tokenClash !== null) return tokenClash;
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
          upgradedAnswer: state.upgradedAnswer,
        },
        retire: [],
        ...(registerToken === undefined ? {} : { registerToken }),
      };
    }
    return pinUsed(existing, state.ownTokenName, claim, pkg.serial, pinIndex);
  }

  if (pkg.license_type === 'combined' && state.otherKindUsed) {
    const other: PinKind = pin.kind === 'single' ? 'multi' : 'single';
    return refuse(
      'LICTOR_E_COMBINED_LOCKED',
      `a ${other}-user PIN code of this combined package was already activated, so its ${pin.kind}-user PIN codes cannot be`,
      { lockedBy: other },
    );
  }

  const retire: Decision['retire'] = [];
  let activeCount = state.activeCount;
  // A software dongle is never transferred: a changed computer's activation keeps its place.
  // A token is not a computer: a token activation never retires one, and is never retired as
  // one (`sameComputer` holds only activations bound to hardware, and none for a token claim).
  // A changed computer's old activation is retired only when both hardware lists are known.
  // A request code carries no hardware, and an activation made by one stored none: the
  // center cannot tell that such a computer is the same one changed, so that activation keeps
  // its place until the vendor deactivates it.
  if (!dongle && claim.token === undefined && claim.hardware !== null) {
    for (const old of state.sameComputer) {
      const oldHardware = storedHardware(old.hardware);
      if (old.token_key !== null || oldHardware === null || !sameComputer(oldHardware, claim.hardware)) continue;
      const match = matchHardware(oldHardware, claim.hardware);
      if (match.ok) continue;
      retire.push({ id: old.id, changes: match.changes.map((c) => c.message) });
      activeCount -= 1;
    }
  }
  if (activeCount >= pkg.max_active) {
    return refuse(
      'LICTOR_E_ACTIVE_PIN_LIMIT',
      `${activeCount} of ${pkg.max_active} PIN codes of package ${pkg.serial} are already active; ` +
        'the vendor can deactivate one or sell more',
      { active: activeCount, maxActive: pkg.max_active },
    );
  }
  if (tokenClash !== null) return tokenClash;

  const insert: NewActivation = {
    id: ids.activationId,
    serial: pkg.serial,
    pin_idx: pinIndex,
    container_id: ids.containerId,
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
      upgradedAnswer: null,
    },
    retire,
    insert,
    ...(registerToken === undefined ? {} : { registerToken }),
  };
}

/** A new activation, every column given. */
type NewActivation = Required<Insertable<ActivationsTable>>;

const insertActivation = prepare<NewActivation>()((db, param) =>
  db.insertInto('activations').values({
    id: param('id'),
    serial: param('serial'),
    pin_idx: param('pin_idx'),
    container_id: param('container_id'),
    owner: param('owner'),
    owner_key: param('owner_key'),
    hardware: param('hardware'),
    subject: param('subject'),
    channel: param('channel'),
    request_nonce: param('request_nonce'),
    status: param('status'),
    license_kind: param('license_kind'),
    created_at: param('created_at'),
    updated_at: param('updated_at'),
    retired_at: param('retired_at'),
    retired_reason: param('retired_reason'),
    client_ip: param('client_ip'),
    container_keys: param('container_keys'),
    counter: param('counter'),
    token_key: param('token_key'),
  }),
);

/** The values of {@link insertMarks}: the activation and its marks. */
interface MarkParams {
  serial: string;
  activation_id: string;
  [mark: `mark${number}`]: string;
}

/** The marks of a new activation; the shape is their number. */
const insertMarks = prepare<MarkParams>()((db, param, count: number) =>
  db.insertInto('hardware_marks').values(
    Array.from({ length: count }, (_, i) => ({
      serial: param('serial'),
      mark: param(`mark${i}`),
      activation_id: param('activation_id'),
    })),
  ),
);

/** Writes a decision and its audit events in the caller's transaction; a refusal when a token registration clashes meanwhile. */
async function applyActivation(
  ctx: CenterContext,
  trx: Transaction<DB>,
  d: Decision,
  claim: Claim,
  marks: string[],
  meta: ActivationMeta,
  now: Date,
): Promise<Outcome<void>> {
  const { granted: g } = d;
  const facts = {
    serial: g.pkg.serial,
    pinIndex: g.pinIndex,
    channel: claim.channel,
    ...(claim.requestNonce === null ? {} : { requestNonce: claim.requestNonce }),
    ...(claim.token === undefined ? {} : { token: claim.token.fingerprint }),
    clientIp: meta.clientIp ?? null,
  };
  if (d.registerToken !== undefined) {
    const registered = await registerToken(ctx, trx, d.registerToken, now);
    if (isRefusal(registered)) return registered;
  }
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
  // The package's count of active activations follows by trigger (migration 0008).
  await insertActivation.execute(ctx.dialect, trx, d.insert);
  if (marks.length > 0) {
    const params: MarkParams = { serial: d.insert.serial, activation_id: d.insert.id };
    for (const [i, mark] of marks.entries()) params[`mark${i}`] = mark;
    await insertMarks.execute(ctx.dialect, trx, params, marks.length);
  }
  await recordAudit(ctx, trx, now, {
    actor: 'client',
    action: 'activation.create',
    subject: d.insert.id,
    details: { ...facts, kind: g.kind },
  });
}

/** The answer of an activation's latest confirmed upgrade, `null` when none was confirmed. */
async function upgradedAnswer(db: Kysely<DB>, activationId: string): Promise<string | null> {
  const latest = await db
    .selectFrom('upgrades')
    .select('answer')
    .where('activation_id', '=', activationId)
    .where('status', '=', 'confirmed')
    .orderBy('to_counter', 'desc')
    .limit(1)
    .executeTakeFirst();
  return latest?.answer ?? null;
}

/**
 * The licenses of a reactivated container as its latest confirmed upgrade left them (read from
 * the signed answer, outside any lock); `null` when none was confirmed (the package's entry applies).
 */
function withEntries(ctx: CenterContext, g: Granted): Granted {
  if (g.upgradedAnswer === null) return g;
  return { ...g, entries: decodeLicenseFile(g.upgradedAnswer, ctx.signer.publicKey).licenses };
}

/**
 * Runs the PIN rules and records the outcome: load → decide → apply. The PIN and its product,
 * which never change, are read first, without a lock (a wrong PIN goes no further); then one
 * short transaction locks the package, reads its state by index, decides (pure) and writes.
 * `check` may refuse the grant before anything is written (an answer code checks that the
 * license fits in one). The license is built by the caller, after the commit.
 */
export async function grant(
  ctx: CenterContext,
  locator: PinLocator,
  claim: Claim,
  meta: ActivationMeta,
  now: Date,
  check?: (g: Granted) => Refusal | null,
): Promise<Outcome<Granted>> {
  const pin = await findPin(ctx, ctx.db, locator);
  if (pin === undefined || pin.serial !== locator.serial) return serialOrPinInvalid();
  const ids = newIds(ctx, claim.channel);
  const marks = claimMarks(claim);
  const granted = await inTransaction(ctx.db, async (trx) => {
    // Every activation of the package waits here for the one before it to commit.
    await ctx.dialect.holdRows(
      () => trx.selectFrom('packages').select('serial').where('serial', '=', pin.serial),
      'packages',
    );
    const state = await loadState(ctx, trx, pin, claim, marks);
    const decision = decideActivation(pin, state, claim, meta, now, ids);
    if (isRefusal(decision)) return decision;
    const refused = check?.(decision.granted) ?? null;
    if (refused !== null) return refused;
    const applied = await applyActivation(ctx, trx, decision, claim, marks, meta, now);
    return isRefusal(applied) ? applied : decision.granted;
  });
  return isRefusal(granted) ? granted : withEntries(ctx, granted);
}

/** What {@link grant} would decide now, without locking or writing anything. */
export async function inspect(
  ctx: CenterContext,
  locator: PinLocator,
  claim: Claim,
  now: Date,
): Promise<Outcome<Granted>> {
  const pin = await findPin(ctx, ctx.db, locator);
  if (pin === undefined || pin.serial !== locator.serial) return serialOrPinInvalid();
  const state = await loadState(ctx, ctx.db, pin, claim, claimMarks(claim));
  const decision = decideActivation(pin, state, claim, {}, now, newIds(ctx, claim.channel));
  return isRefusal(decision) ? decision : withEntries(ctx, decision.granted);
}

/** The serial a refusal audit names: normalized, cut to a serial's length, `''` when not text. */
export function auditedSerial(value: unknown): string {
  return typeof value === 'string' ? normalizeSerial(value.slice(0, MAX_CODE_LENGTH)) : '';
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

/** Checks the online request and grants it: the license is built after the commit. */
async function activateOnline(
  ctx: CenterContext,
  request: ActivationRequest,
  meta: ActivationMeta,
  now: Date,
): Promise<Outcome<ActivationResponse>> {
  const req = checked(() => cleanRequest(request));
  if (isRefusal(req)) return req;
  const limited = admitSerial(ctx, meta, req.serial);
  if (limited !== null) return limited;
  const keys = req.containerKeys ?? undefined;
  const token =
    request.token === undefined ? undefined : checked(() => verifyTokenActivation(request.token, req.serial, now));
  if (token !== undefined && isRefusal(token)) return token;
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
  if (isRefusal(granted)) return granted;
  // Signed after the commit to keep the package lock short. Should signing fail, the client
  // retries and gets the same activation back as a reactivation.
  return {
    activationId: granted.activationId,
    reactivated: granted.reactivated,
    license: await buildLicense(ctx, granted, now),
  };
}

/**
 * Activates a PIN code online. The client is admitted by its address first; a refusal is
 * counted and audited (aggregated, see `abuse.ts`) with its code and channel, never the PIN, and
 * thrown. With `request.token`, the license is bound to that token once its claim verifies (see
 * `token-claims.ts`): each PIN binds to one token, and the same owner with the same token
 * reactivates.
 */
export async function activate(
  ctx: CenterContext,
  request: ActivationRequest,
  meta: ActivationMeta = {},
): Promise<ActivationResponse> {
  const now = ctx.now();
  throwIfRefused(admitClient(ctx, meta));
  const outcome = await activateOnline(ctx, request, meta, now);
  return settle(ctx, { channel: 'online', serial: auditedSerial(request.serial) }, meta, now, outcome);
}
