/**
 * The public endpoints under abuse: admission by client address and by serial (rate limits),
 * refusals counted per serial, code and 10-minute window instead of one audit row each, and the
 * alert on a burst of wrong PINs for a serial.
 *
 * What the database keeps of refusals is bounded, whatever a client sends: one `activation.refuse`
 * event for the first refusal of each (serial, code, channel, window), at most
 * {@link MAX_REFUSAL_EVENTS_PER_WINDOW} per window; the counts in `refusal_windows`, kept for
 * {@link REFUSAL_RETENTION_DAYS} days; every serial the center does not know counted under `?`.
 */
import { type ErrorCode, LictorError } from '@lictor/protocol';
import { sql } from 'kysely';
import { recordAudit } from './audit.js';
import type { CenterContext } from './context.js';
import { enforce } from './rate-limits.js';
import type { ActivationMeta } from './types.js';

/** Refusals are counted per window of this length. */
export const REFUSAL_WINDOW_MS = 10 * 60_000;
/** At most this many `activation.refuse` audit events per window; beyond, only the counts. */
export const MAX_REFUSAL_EVENTS_PER_WINDOW = 100;
/** Refusal counts older than this are deleted (when a new window starts). */
export const REFUSAL_RETENTION_DAYS = 90;

/** An alert the center raises (audited, and logged by the HTTP service). */
export interface CenterAlert {
  kind: 'pin-burst';
  serial: string;
  /** Wrong PINs for the serial in the current window. */
  count: number;
  windowStart: string;
  lastClientIp: string | null;
  message: string;
}

/** Lets a request from `meta.clientIp` in, or throws `LICTOR_E_RATE_LIMITED` (nothing is written). */
export function admitClient(ctx: CenterContext, meta: ActivationMeta): void {
  enforce(ctx.limits.perClient, meta.clientIp, 'from this address');
  if (meta.clientIp !== undefined) ctx.limits.perClient?.take(meta.clientIp);
}

/** Throws `LICTOR_E_RATE_LIMITED` when `serial` had too many refused attempts lately. */
export function admitSerial(ctx: CenterContext, meta: ActivationMeta, serial: string): void {
  // The vendor's own tools (no client address) are never limited.
  if (meta.clientIp === undefined) return;
  enforce(ctx.limits.refusalsPerSerial, serial, `for serial ${serial}`);
}

async function knownSerial(ctx: CenterContext, serial: string): Promise<boolean> {
  if (serial === '') return false;
  const row = await ctx.db.selectFrom('packages').select('serial').where('serial', '=', serial).executeTakeFirst();
  return row !== undefined;
}

/**
 * Counts a refusal: the serial's limiter, its window's count (and the audit event of the first
 * refusal in the window), and the wrong-PIN alert when the count reaches the threshold.
 */
export async function countRefusal(
  ctx: CenterContext,
  facts: { serial: string; channel: string; requestNonce?: string },
  meta: ActivationMeta,
  now: Date,
  code: ErrorCode,
): Promise<void> {
  if (code !== 'LICTOR_E_RATE_LIMITED' && meta.clientIp !== undefined && facts.serial !== '') {
    ctx.limits.refusalsPerSerial?.take(facts.serial);
  }
  const serial = (await knownSerial(ctx, facts.serial)) ? facts.serial : '?';
  const windowStart = new Date(Math.floor(now.getTime() / REFUSAL_WINDOW_MS) * REFUSAL_WINDOW_MS).toISOString();
  const at = now.toISOString();
  const clientIp = meta.clientIp ?? null;
  const row = await ctx.db
    .insertInto('refusal_windows')
    .values({
      serial,
      code,
      channel: facts.channel,
      window_start: windowStart,
      count: 1,
      first_at: at,
      last_at: at,
      last_client_ip: clientIp,
    })
    .onConflict((oc) =>
      oc.columns(['serial', 'code', 'channel', 'window_start']).doUpdateSet({
        count: sql<number>`refusal_windows.count + 1`,
        last_at: at,
        last_client_ip: clientIp,
      }),
    )
    .returning('count')
    .executeTakeFirstOrThrow();
  const count = Number(row.count);
  if (count === 1 && (await firstRowOfWindow(ctx, windowStart, now))) {
    await recordAudit(ctx, ctx.db, now, {
      actor: 'client',
      action: 'activation.refuse',
      subject: serial,
      details: {
        code,
        channel: facts.channel,
        ...(facts.requestNonce === undefined ? {} : { requestNonce: facts.requestNonce }),
        clientIp,
        window: windowStart,
        note: `later refusals of this serial, code and channel until ${new Date(Date.parse(windowStart) + REFUSAL_WINDOW_MS).toISOString()} are counted in refusal_windows`,
      },
    });
  }
  const wrongPin = code === 'LICTOR_E_SERIAL_OR_PIN_INVALID';
  if (wrongPin && serial !== '?' && ctx.limits.pinBurstAlert > 0) {
    const total = await ctx.db
      .selectFrom('refusal_windows')
      .select((eb) => eb.fn.sum<number>('count').as('n'))
      .where('serial', '=', serial)
      .where('code', '=', code)
      .where('window_start', '=', windowStart)
      .executeTakeFirst();
    if (Number(total?.n ?? 0) === ctx.limits.pinBurstAlert)
      await raisePinBurst(ctx, serial, windowStart, now, clientIp);
  }
}

/**
 * For a new row of a window: deletes counts past retention, and says whether the window may
 * still have an audit event of its own (fewer than {@link MAX_REFUSAL_EVENTS_PER_WINDOW} rows).
 */
async function firstRowOfWindow(ctx: CenterContext, windowStart: string, now: Date): Promise<boolean> {
  const expired = new Date(now.getTime() - REFUSAL_RETENTION_DAYS * 86_400_000).toISOString();
  await ctx.db.deleteFrom('refusal_windows').where('window_start', '<', expired).execute();
  const rows = await ctx.db
    .selectFrom('refusal_windows')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('window_start', '=', windowStart)
    .executeTakeFirst();
  return Number(rows?.n ?? 0) <= MAX_REFUSAL_EVENTS_PER_WINDOW;
}

async function raisePinBurst(
  ctx: CenterContext,
  serial: string,
  windowStart: string,
  now: Date,
  lastClientIp: string | null,
): Promise<void> {
  const count = ctx.limits.pinBurstAlert;
  const alert: CenterAlert = {
    kind: 'pin-burst',
    serial,
    count,
    windowStart,
    lastClientIp,
    message: `${count} wrong PINs for serial ${serial} since ${windowStart}: someone may be guessing its PIN codes`,
  };
  await recordAudit(ctx, ctx.db, now, {
    actor: 'center',
    action: 'alert.pin-burst',
    subject: serial,
    details: { count, windowStart, lastClientIp },
  });
  ctx.alert(alert);
}

/**
 * Runs `work` for a request from `meta`: admits the client first (a rate-limited request writes
 * nothing), then counts a refusal (see {@link countRefusal}) and rethrows it.
 */
export async function guardRefusals<T>(
  ctx: CenterContext,
  facts: { serial: string; channel: string; requestNonce?: string },
  meta: ActivationMeta,
  now: Date,
  work: () => Promise<T>,
): Promise<T> {
  admitClient(ctx, meta);
  try {
    return await work();
  } catch (error) {
    if (error instanceof LictorError) await countRefusal(ctx, facts, meta, now, error.code);
    throw error;
  }
}
