/**
 * The vendor's blacklist. A blacklisted serial refuses every activation; a blacklisted
 * activation is revoked, which frees its place under the package's active limit but never its PIN.
 */
import { encodeBlacklist, LictorError, normalizeSerial } from '@lictor/protocol';
import type { Transaction } from 'kysely';
import type { DB } from '../store/schema.js';
import { recordAudit } from './audit.js';
import type { CenterContext } from './context.js';
import { invalid, text } from './input.js';
import { lockPackage } from './packages.js';
import type { BlacklistInput } from './types.js';

/** Blacklists a serial or an activation for the vendor (`admin` in the audit log); doing it again changes nothing. */
export async function addToBlacklist(ctx: CenterContext, entry: BlacklistInput): Promise<void> {
  const hasSerial = entry.serial !== undefined;
  const hasActivation = entry.activationId !== undefined;
  if (hasSerial === hasActivation) {
    invalid(hasSerial ? 'activationId' : 'serial', 'give exactly one of serial and activationId');
  }
  const reason = text(entry.reason, 'reason', 500);
  const at = ctx.now();
  await ctx.db
    .transaction()
    .execute((trx) =>
      entry.serial !== undefined
        ? blacklistSerial(ctx, trx, normalizeSerial(String(entry.serial)), reason, 'admin', at)
        : blacklistActivation(ctx, trx, String(entry.activationId), reason, 'admin', at),
    );
}

async function blacklistSerial(
  ctx: CenterContext,
  trx: Transaction<DB>,
  serial: string,
  reason: string,
  actor: string,
  at: Date,
): Promise<void> {
  const pkg = await lockPackage(ctx.dialect, trx, serial);
  if (pkg === undefined) throw new LictorError('LICTOR_E_NOT_FOUND', `no package has serial ${serial}`, { serial });
  if (pkg.status === 'blacklisted') return;
  await trx.updateTable('packages').set({ status: 'blacklisted' }).where('serial', '=', serial).execute();
  await trx
    .insertInto('blacklist')
    .values({ id: ctx.newId(), serial, activation_id: null, reason, created_at: at.toISOString() })
    .execute();
  await nextSequence(trx);
  await recordAudit(ctx, trx, at, { actor, action: 'blacklist.serial', subject: serial, details: { reason } });
}

/**
 * Revokes activation `id` in the caller's transaction, with its package locked; an activation
 * already revoked is left as it is. `LICTOR_E_NOT_FOUND` when the center has no such activation.
 */
export async function blacklistActivation(
  ctx: CenterContext,
  trx: Transaction<DB>,
  id: string,
  reason: string,
  actor: string,
  at: Date,
): Promise<void> {
  const found = await trx.selectFrom('activations').select('serial').where('id', '=', id).executeTakeFirst();
  if (found === undefined) {
    throw new LictorError('LICTOR_E_NOT_FOUND', `no activation has id ${id}`, { activationId: id });
  }
  await lockPackage(ctx.dialect, trx, found.serial);
  // Read again under the lock: a concurrent activation may have retired it meanwhile.
  const activation = await trx
    .selectFrom('activations')
    .select(['serial', 'status'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  if (activation.status === 'revoked') return;
  await trx
    .updateTable('activations')
    .set({ status: 'revoked', retired_at: at.toISOString(), retired_reason: reason, updated_at: at.toISOString() })
    .where('id', '=', id)
    .execute();
  await trx
    .insertInto('blacklist')
    .values({ id: ctx.newId(), serial: null, activation_id: id, reason, created_at: at.toISOString() })
    .execute();
  await nextSequence(trx);
  await recordAudit(ctx, trx, at, {
    actor,
    action: 'blacklist.activation',
    subject: id,
    details: { serial: activation.serial, reason },
  });
}

/** Moves the list's sequence up by one, in the transaction that changes the list (the row lock orders concurrent changes). */
async function nextSequence(trx: Transaction<DB>): Promise<void> {
  await trx
    .updateTable('counters')
    .set((eb) => ({ value: eb('value', '+', 1) }))
    .where('name', '=', 'blacklist')
    .execute();
}

/** The signed blacklist file of every blacklisted serial and activation, with the list's sequence. */
export async function blacklistFile(ctx: CenterContext): Promise<string> {
  // The sequence is read before the rows: a change committed in between puts one entry more in
  // the list than its sequence says (the next download carries it again with a higher sequence),
  // never a sequence whose entries are missing.
  const counter = await ctx.db
    .selectFrom('counters')
    .select('value')
    .where('name', '=', 'blacklist')
    .executeTakeFirst();
  const rows = await ctx.db.selectFrom('blacklist').select(['serial', 'activation_id']).execute();
  const serials = new Set<string>();
  const activations = new Set<string>();
  for (const r of rows) {
    if (r.serial !== null) serials.add(r.serial);
    if (r.activation_id !== null) activations.add(r.activation_id);
  }
  return encodeBlacklist(
    {
      format: 1,
      issuedAt: ctx.now().toISOString(),
      sequence: Number(counter?.value ?? 0),
      serials: [...serials].sort(),
      activations: [...activations].sort(),
    },
    ctx.signer,
  );
}
