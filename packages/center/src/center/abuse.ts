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
import type { ErrorCode } from '@lictor/protocol';
import { sql } from 'kysely';
import { recordAudit } from './audit.js';
import type { CenterContext } from './context.js';
import { isRefusal, type Outcome, type Refusal } from './outcome.js';
import { limited } from './rate-limits.js';
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

/**
 * Lets a request from `meta.clientIp` in (taking one of its tokens), or refuses it with
 * `LICTOR_E_RATE_LIMITED`. Such a refusal is thrown as it is: neither counted nor audited, so
 * that a flood from one address writes nothing.
 */
export function admitClient(ctx: CenterContext, meta: ActivationMeta): Refusal | null {
  const refusal = limited(ctx.limits.perClient, meta.clientIp, 'from this address');
  if (refusal === null && meta.clientIp !== undefined) ctx.limits.perClient?.take(meta.clientIp);
  return refusal;
}

/** `LICTOR_E_RATE_LIMITED` when `serial` had too many refused attempts lately (a refusal counted like others). */
export function admitSerial(ctx: CenterContext, meta: ActivationMeta, serial: string): Refusal | null {
  // The vendor's own tools (no client address) are never limited.
  if (meta.clientIp === undefined) return null;
  return limited(ctx.limits.refusalsPerSerial, serial, `for serial ${serial}`);
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

/** What a refusal of a public endpoint is counted and audited under (never the PIN). */
export interface RefusalFacts {
  /** `online`, `file`, `code` or `preview`. */
  channel: string;
  /** Normalized serial once known, else `''`. */
  serial: string;
  requestNonce?: string;
}

/**
 * The end of a public use case: its value, or its refusal counted and audited (see
 * {@link countRefusal}) and then thrown as the `LictorError` the HTTP layer answers with.
 */
export async function settle<T>(
  ctx: CenterContext,
  facts: RefusalFacts,
  meta: ActivationMeta,
  now: Date,
  outcome: Outcome<T>,
): Promise<T> {
  if (!isRefusal(outcome)) return outcome;
  await countRefusal(ctx, facts, meta, now, outcome.code);
  throw outcome.error;
}
