/** Issuing packages (a serial and its PIN codes) and reading them back. */
import {
  type ContainerPolicy,
  type FeatureGrant,
  formatPin,
  formatSerial,
  LICENSE_TYPES,
  type LicenseType,
  LictorError,
  normalizePin,
  normalizeSerial,
  pinTag,
  randomBytes,
  type ServerArch,
} from '@lictor/protocol';
import type { Transaction } from 'kysely';
import type { PackageRow, StoreDialect } from '../store/dialect.js';
import { fromJson, toJson } from '../store/json-column.js';
import type { DB, PinKind } from '../store/schema.js';
import { recordAudit } from './audit.js';
import type { CenterContext } from './context.js';
import { futureInstant, integerIn, invalid, MAX_DAYS, MAX_USERS } from './input.js';
import { hashPin, sealPin } from './pins.js';
import { requireProduct, unknownFeature } from './products.js';
import type { IssuedPackage, IssuedPin, PackageSpec, PackageView, PinView, Product } from './types.js';

const MAX_PINS = 1000;

/** A checked spec with every default applied. */
interface ResolvedSpec {
  type: LicenseType;
  users: number;
  sessions: number | null;
  arch: ServerArch | null;
  features: FeatureGrant[];
  expiresAt: string | null;
  days: number | null;
  singlePins: number;
  multiPins: number;
  maxActive: number;
  policy: ContainerPolicy;
}

function isServerType(type: LicenseType): boolean {
  return type === 'server' || type === 'server-sessions';
}

function resolveFeatures(spec: PackageSpec, product: Product): FeatureGrant[] {
  if (spec.features === undefined) return product.features.map((f) => ({ code: f.code, users: null }));
  const known = new Set(product.features.map((f) => f.code));
  const seen = new Set<string>();
  return spec.features.map((f, i) => {
    if (!known.has(f.code)) throw unknownFeature(product.code, f.code, [...known]);
    if (seen.has(f.code)) invalid(`features[${i}].code`, `feature ${f.code} is listed twice`);
    seen.add(f.code);
    const users = f.users === null ? null : integerIn(f.users, `features[${i}].users`, 1, MAX_USERS);
    return { code: f.code, users };
  });
}

/** Applies the issuing rules and defaults; throws `LICTOR_E_INVALID_INPUT` with an actionable message. */
function resolveSpec(spec: PackageSpec, product: Product, now: Date): ResolvedSpec {
  const type = spec.type;
  if (!LICENSE_TYPES.includes(type)) invalid('type', `type must be one of ${LICENSE_TYPES.join(', ')}`);

  let users = 1;
  if (type === 'multi' || type === 'combined') {
    if (spec.users === undefined) invalid('users', `a ${type} package needs users: the number of client applications`);
    users = integerIn(spec.users, 'users', 1, MAX_USERS);
  } else if (spec.users !== undefined && spec.users !== 1) {
    invalid('users', `a ${type} package is for one user; users applies to multi and combined packages`);
  }

  let sessions: number | null = null;
  if (type === 'server-sessions') {
    if (spec.sessions === undefined)
      invalid('sessions', 'a server-sessions package needs sessions: concurrent sessions');
    sessions = integerIn(spec.sessions, 'sessions', 1, MAX_USERS);
  } else if (spec.sessions !== undefined) {
    invalid('sessions', 'sessions applies to server-sessions packages only');
  }

  let arch: ServerArch | null = null;
  if (isServerType(type)) {
    arch = spec.arch ?? 'x64';
    if (arch !== 'x86' && arch !== 'x64') invalid('arch', 'arch must be x86 or x64');
  } else if (spec.arch !== undefined) {
    invalid('arch', 'arch applies to server and server-sessions packages only');
  }

  const expiresAt = spec.expiresAt === undefined ? null : futureInstant(spec.expiresAt, 'expiresAt', now);
  const days = spec.days === undefined ? null : integerIn(spec.days, 'days', 1, MAX_DAYS);

  const pins = spec.pins === undefined ? 3 : integerIn(spec.pins, 'pins', 1, MAX_PINS);
  const multiPins = type === 'combined' ? 1 : 0;
  const defaultMaxActive = type === 'combined' ? pins + 1 : 1;
  const maxActive =
    spec.maxActive === undefined ? defaultMaxActive : integerIn(spec.maxActive, 'maxActive', 1, pins + multiPins);
  const policy = spec.policy ?? 'standard';
  if (policy !== 'standard' && policy !== 'software-dongle') {
    invalid('policy', 'policy must be standard or software-dongle');
  }

  return {
    type,
    users,
    sessions,
    arch,
    features: resolveFeatures(spec, product),
    expiresAt,
    days,
    singlePins: type === 'multi' ? 0 : pins,
    multiPins: type === 'multi' ? pins : multiPins,
    maxActive,
    policy,
  };
}

/**
 * Issues a package; the PIN codes are returned in clear once and stored hashed (online lookup)
 * and sealed for the center alone (offline request proofs).
 */
export async function issuePackage(ctx: CenterContext, spec: PackageSpec): Promise<IssuedPackage> {
  if (typeof spec.product !== 'string') invalid('product', 'product must be a product code');
  const product = await requireProduct(ctx.db, spec.product);
  const at = ctx.now();
  const r = resolveSpec(spec, product, at);
  const serial = formatSerial(randomBytes(12));
  const pins: IssuedPin[] = [];
  const kinds: PinKind[] = [
    ...Array<PinKind>(r.singlePins).fill('single'),
    ...Array<PinKind>(r.multiPins).fill('multi'),
  ];
  for (const [i, kind] of kinds.entries()) pins.push({ index: i + 1, pin: formatPin(randomBytes(15)), kind });

  await ctx.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('packages')
      .values({
        serial,
        product_code: product.code,
        license_type: r.type,
        users: r.users,
        sessions: r.sessions,
        arch: r.arch,
        features: toJson(r.features),
        expires_at: r.expiresAt,
        duration_days: r.days,
        pin_count: pins.length,
        max_active: r.maxActive,
        status: 'active',
        created_at: at.toISOString(),
        policy: r.policy,
      })
      .execute();
    await trx
      .insertInto('pins')
      .values(
        pins.map((p) => ({
          serial,
          idx: p.index,
          pin_hash: hashPin(ctx.pinPepper, serial, p.pin),
          kind: p.kind,
          pin_sealed: sealPin(ctx.pinSealKey, serial, p.index, normalizePin(p.pin)),
          pin_tag: pinTag(serial, p.pin),
        })),
      )
      .execute();
    await recordAudit(ctx, trx, at, {
      actor: 'admin',
      action: 'package.issue',
      subject: serial,
      details: { product: product.code, type: r.type, pins: pins.length, maxActive: r.maxActive, policy: r.policy },
    });
  });

  return {
    serial,
    product: product.code,
    type: r.type,
    users: r.users,
    sessions: r.sessions,
    arch: r.arch,
    features: r.features,
    expiresAt: r.expiresAt,
    days: r.days,
    maxActive: r.maxActive,
    policy: r.policy,
    pins,
  };
}

/** Reads a package and holds it until the transaction ends; `undefined` when unknown. */
export function lockPackage(
  dialect: StoreDialect,
  trx: Transaction<DB>,
  serial: string,
): Promise<PackageRow | undefined> {
  return dialect
    .lockRows(trx.selectFrom('packages').selectAll().where('serial', '=', serial), 'packages')
    .executeTakeFirst();
}

/** The domain view of a package row, without its PINs. */
export function packageFields(row: PackageRow): Omit<IssuedPackage, 'pins'> {
  return {
    serial: row.serial,
    product: row.product_code,
    type: row.license_type as LicenseType,
    users: row.users,
    sessions: row.sessions,
    arch: row.arch as ServerArch | null,
    features: fromJson(row.features),
    expiresAt: row.expires_at,
    days: row.duration_days,
    maxActive: row.max_active,
    policy: row.policy,
  };
}

/** A package and the state of each PIN code; `LICTOR_E_NOT_FOUND` when the serial is unknown. */
export async function getPackage(ctx: CenterContext, serialText: string): Promise<PackageView> {
  const serial = normalizeSerial(String(serialText));
  const row = await ctx.db.selectFrom('packages').selectAll().where('serial', '=', serial).executeTakeFirst();
  if (row === undefined) {
    throw new LictorError('LICTOR_E_NOT_FOUND', `no package has serial ${serial}`, { serial });
  }
  const [pins, activations] = await Promise.all([
    ctx.db.selectFrom('pins').select(['idx', 'kind']).where('serial', '=', serial).orderBy('idx').execute(),
    ctx.db.selectFrom('activations').select(['id', 'pin_idx', 'status']).where('serial', '=', serial).execute(),
  ]);
  const byPin = new Map(activations.map((a) => [a.pin_idx, a]));
  const pinViews: PinView[] = pins.map((p) => {
    const a = byPin.get(p.idx);
    return { index: p.idx, kind: p.kind, status: a?.status ?? 'unused', activationId: a?.id ?? null };
  });
  return {
    ...packageFields(row),
    status: row.status,
    createdAt: row.created_at,
    activeCount: activations.filter((a) => a.status === 'active').length,
    pins: pinViews,
  };
}
