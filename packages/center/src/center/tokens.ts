/**
 * The register of hardware tokens: each token the center has bound a license to, by its
 * public key, with its identity as it reported it; and what the vendor programmed into it
 * (`lictor center token program`).
 */
import {
  describeTokenBinding,
  LictorError,
  normalizeSerial,
  parseTokenPublicKey,
  type TokenIdentity,
} from '@lictor/protocol';
import type { Kysely, Selectable } from 'kysely';
import type { DB, TokensTable } from '../store/schema.js';
import { recordAudit } from './audit.js';
import type { CenterContext } from './context.js';
import { text } from './input.js';
import { type Outcome, type Refusal, refuse } from './outcome.js';
import { openPin } from './pins.js';
import type { ClaimedToken } from './token-claims.js';

/** A registered token as the vendor sees it. */
export interface TokenView {
  /** `lictor-p256:…`: what token-bound licenses name. */
  publicKey: string;
  fingerprint: string;
  token: TokenIdentity;
  /** The token's label when it was programmed. */
  label: string | null;
  registeredAt: string;
  programmedAt: string | null;
  /** The package and activation of the container written into the token, if programmed. */
  packageSerial: string | null;
  activationId: string | null;
  /** Active activations bound to the token (programmed or activated with `--bind-token`). */
  activeActivations: string[];
}

/** `recordTokenProgramming` input: the container now in the token's memory. */
export interface TokenProgramming {
  publicKey: string;
  activationId: string;
  /** The token's label. */
  label: string;
}

/** The PIN code to program a token with. */
export interface TokenPinChoice {
  index: number;
  /** In clear, recovered from its sealed form. */
  pin: string;
  /** The token already holds an active activation of this PIN: programming it again is a reactivation. */
  reactivation: boolean;
}

function sameIdentity(a: TokenIdentity, row: Selectable<TokensTable>): boolean {
  return a.manufacturer === row.manufacturer && a.model === row.model && a.serial === row.token_serial;
}

function identityOf(row: Selectable<TokensTable>): TokenIdentity {
  return { manufacturer: row.manufacturer, model: row.model, serial: row.token_serial };
}

/** The register's row of the token with key `publicKey`, if it is registered. */
export function tokenRow(db: Kysely<DB>, publicKey: string): Promise<Selectable<TokensTable> | undefined> {
  return db.selectFrom('tokens').selectAll().where('public_key', '=', publicKey).executeTakeFirst();
}

/** Whether a claimed token is the one registered under its key. */
export function sameTokenIdentity(claimed: ClaimedToken, row: Selectable<TokensTable>): boolean {
  return sameIdentity(claimed.binding.token, row);
}

/** The refusal of a key registered under another token identity than the claim says. */
export function tokenIdentityRefusal(claimed: ClaimedToken, row: Selectable<TokensTable>): Refusal {
  const { binding } = claimed;
  return refuse(
    'LICTOR_E_TOKEN_PROOF_INVALID',
    `the token claims to be ${describeTokenBinding(binding)}, but its key (fingerprint ${claimed.fingerprint}) is ` +
      `registered for ${describeTokenBinding({ ...binding, token: identityOf(row) })}`,
    { fingerprint: claimed.fingerprint },
  );
}

/**
 * Registers a token the first time a license is bound to it, in the activation's transaction.
 * A key registered meanwhile under another identity (by a concurrent first activation for
 * another package) is refused: the license binding would name a token the key does not belong to.
 */
export async function registerToken(
  ctx: CenterContext,
  trx: Kysely<DB>,
  claimed: ClaimedToken,
  now: Date,
): Promise<Outcome<void>> {
  const { binding } = claimed;
  const inserted = await trx
    .insertInto('tokens')
    .values({
      public_key: binding.publicKey,
      fingerprint: claimed.fingerprint,
      manufacturer: binding.token.manufacturer,
      model: binding.token.model,
      token_serial: binding.token.serial,
      label: null,
      registered_at: now.toISOString(),
      programmed_at: null,
      package_serial: null,
      activation_id: null,
    })
    // Registered already (also by a concurrent first activation for another package, which this
    // insert waits for): its identity is checked below instead.
    .onConflict((oc) => oc.column('public_key').doNothing())
    .executeTakeFirst();
  if (inserted.numInsertedOrUpdatedRows !== 0n) {
    await recordAudit(ctx, trx, now, {
      actor: 'client',
      action: 'token.register',
      subject: claimed.fingerprint,
      details: { token: binding.token },
    });
    return;
  }
  const row = await tokenRow(trx, binding.publicKey);
  if (row === undefined) throw new Error(`the token ${claimed.fingerprint} is neither inserted nor registered`);
  return sameIdentity(binding.token, row) ? undefined : tokenIdentityRefusal(claimed, row);
}

/** The identities of registered tokens by key, for messages naming the token a PIN is bound to. */
export async function tokenNames(db: Kysely<DB>, keys: string[]): Promise<Map<string, string>> {
  if (keys.length === 0) return new Map();
  const rows = await db.selectFrom('tokens').selectAll().where('public_key', 'in', keys).execute();
  return new Map(
    rows.map((r) => [
      r.public_key,
      `${describeTokenBinding({ kind: 'token', token: identityOf(r), publicKey: r.public_key })} (key ${r.fingerprint})`,
    ]),
  );
}

async function view(db: Kysely<DB>, rows: Selectable<TokensTable>[]): Promise<TokenView[]> {
  const keys = rows.map((r) => r.public_key);
  const active =
    keys.length === 0
      ? []
      : await db
          .selectFrom('activations')
          .select(['id', 'token_key'])
          .where('token_key', 'in', keys)
          .where('status', '=', 'active')
          .orderBy('id')
          .execute();
  return rows.map((r) => ({
    publicKey: r.public_key,
    fingerprint: r.fingerprint,
    token: identityOf(r),
    label: r.label,
    registeredAt: r.registered_at,
    programmedAt: r.programmed_at,
    packageSerial: r.package_serial,
    activationId: r.activation_id,
    activeActivations: active.filter((a) => a.token_key === r.public_key).map((a) => a.id),
  }));
}

/** Registered tokens, most recently registered first. */
export async function listTokens(ctx: CenterContext): Promise<TokenView[]> {
  const rows = await ctx.db.selectFrom('tokens').selectAll().orderBy('registered_at', 'desc').execute();
  return view(ctx.db, rows);
}

/**
 * Records that the container of `activationId` was written into the token: the activation
 * must be active and bound to that token. Audited as `token.program`.
 */
export async function recordTokenProgramming(ctx: CenterContext, input: TokenProgramming): Promise<TokenView> {
  const key = parseTokenPublicKey(input.publicKey);
  const label = text(input.label, 'label', 64);
  const now = ctx.now();
  return ctx.db.transaction().execute(async (trx) => {
    const activation = await trx
      .selectFrom('activations')
      .select(['id', 'serial', 'pin_idx', 'status', 'token_key'])
      .where('id', '=', input.activationId)
      .executeTakeFirst();
    if (activation === undefined || activation.token_key !== key.text || activation.status !== 'active') {
      throw new LictorError(
        'LICTOR_E_NOT_FOUND',
        `no active activation ${input.activationId} is bound to the token with key ${key.fingerprint}`,
        { activationId: input.activationId },
      );
    }
    await trx
      .updateTable('tokens')
      .set({
        label,
        programmed_at: now.toISOString(),
        package_serial: activation.serial,
        activation_id: activation.id,
      })
      .where('public_key', '=', key.text)
      .execute();
    await recordAudit(ctx, trx, now, {
      actor: 'admin',
      action: 'token.program',
      subject: key.fingerprint,
      details: { serial: activation.serial, pinIndex: activation.pin_idx, activationId: activation.id, label },
    });
    const rows = await trx.selectFrom('tokens').selectAll().where('public_key', '=', key.text).execute();
    const [programmed] = await view(trx, rows);
    if (programmed === undefined) throw new Error(`the token ${key.fingerprint} is not registered`);
    return programmed;
  });
}

/**
 * The PIN code to program the token with key `publicKey` for package `serial`: the PIN the
 * token already holds an active activation of (programming again is a reactivation), else the
 * first PIN never activated whose kind a combined package has not locked out. The PIN is
 * recovered from its sealed form: for vendor tools running on the center's data directory,
 * never exposed over HTTP.
 */
export async function pinForToken(ctx: CenterContext, serial: string, publicKey: string): Promise<TokenPinChoice> {
  const key = parseTokenPublicKey(publicKey);
  const wanted = normalizeSerial(serial);
  const pkg = await ctx.db
    .selectFrom('packages')
    .select(['serial', 'license_type'])
    .where('serial', '=', wanted)
    .executeTakeFirst();
  if (pkg === undefined) {
    throw new LictorError('LICTOR_E_NOT_FOUND', `no package with serial ${wanted}`, { serial: wanted });
  }
  const pins = await ctx.db
    .selectFrom('pins')
    .select(['idx', 'kind', 'pin_sealed'])
    .where('serial', '=', pkg.serial)
    .orderBy('idx')
    .execute();
  const activations = await ctx.db
    .selectFrom('activations')
    .select(['pin_idx', 'status', 'token_key', 'license_kind'])
    .where('serial', '=', pkg.serial)
    .execute();
  const own = activations.find((a) => a.status === 'active' && a.token_key === key.text);
  const used = new Set(activations.map((a) => a.pin_idx));
  // A combined package's first activated kind locks the other kind out.
  const activatedKinds = new Set(pkg.license_type === 'combined' ? activations.map((a) => a.license_kind) : []);
  const open = (kind: string) => activatedKinds.size === 0 || activatedKinds.has(kind);
  const choice =
    own === undefined ? pins.find((p) => !used.has(p.idx) && open(p.kind)) : pins.find((p) => p.idx === own.pin_idx);
  if (choice === undefined) {
    throw new LictorError(
      'LICTOR_E_PIN_USED',
      `every PIN code of package ${pkg.serial} that could still be activated is used; issue another package, or name a PIN with --pin`,
      { serial: pkg.serial },
    );
  }
  if (choice.pin_sealed === null) {
    throw new LictorError(
      'LICTOR_E_INVALID_INPUT',
      `package ${pkg.serial} was issued before the center kept its PIN codes sealed; name the PIN with --pin`,
      { field: 'pin' },
    );
  }
  return {
    index: choice.idx,
    pin: openPin(ctx.pinSealKey, pkg.serial, choice.idx, choice.pin_sealed),
    reactivation: own !== undefined,
  };
}
