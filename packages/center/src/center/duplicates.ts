/**
 * Duplicate reports from customers' networks: the evidence (three announcements signed by the
 * license containers, see `verifyDuplicateEvidence`) is checked with the vendor key. Then,
 * following the product's duplicate policy, every activation it names is blacklisted at once
 * (`blacklist`, the network as the actor in the audit log) or the report is held for the
 * vendor's review (`review`: listed, accepted → blacklisted, or dismissed in the admin API).
 * Verified reports are rate-limited per serial; every report per client address.
 */
import { type Announcement, LictorError, type VerifiedDuplicate, verifyDuplicateEvidence } from '@lictor/protocol';
import type { Kysely, Selectable, Transaction } from 'kysely';
import { fromJson, toJson } from '../store/json-column.js';
import type { DB, DuplicateReportsTable } from '../store/schema.js';
import { admitClient } from './abuse.js';
import { recordAudit } from './audit.js';
import { blacklistActivation } from './blacklist.js';
import type { CenterContext } from './context.js';
import { throwIfRefused } from './outcome.js';
import { limited } from './rate-limits.js';
import type { ActivationMeta, DuplicateReport, HeldAnnouncement, HeldDuplicate } from './types.js';

/** Checks that the evidence names activations this center made for its serial and PIN; returns the product. */
async function checkActivations(trx: Transaction<DB>, proven: VerifiedDuplicate): Promise<string> {
  const known = await trx
    .selectFrom('activations')
    .innerJoin('packages', 'packages.serial', 'activations.serial')
    .select(['activations.id', 'activations.serial', 'activations.pin_idx', 'packages.product_code'])
    .where('activations.id', 'in', proven.activations)
    .execute();
  for (const id of proven.activations) {
    const row = known.find((r) => r.id === id);
    if (row === undefined || row.serial !== proven.serial || row.pin_idx !== proven.pin) {
      throw new LictorError(
        'LICTOR_E_EVIDENCE_INVALID',
        `the duplicate evidence names activation ${id}, which this License Center did not make for serial ` +
          `${proven.serial} PIN ${proven.pin}`,
        { activationId: id },
      );
    }
  }
  return known[0]?.product_code ?? '';
}

function reasonOf(proven: { serial: string; pin: number }, at: Date): string {
  return (
    `duplicate: serial ${proven.serial} PIN ${proven.pin} in use on two computers at once ` +
    `(reported ${at.toISOString()})`
  );
}

/**
 * Verifies a duplicate report, then blacklists the activations involved or holds the report for
 * review (the product's policy), auditing it, in one transaction.
 */
export async function reportDuplicate(
  ctx: CenterContext,
  evidence: unknown,
  meta: ActivationMeta = {},
): Promise<DuplicateReport> {
  throwIfRefused(admitClient(ctx, meta));
  const proven = verifyDuplicateEvidence(evidence, ctx.signer.publicKey);
  throwIfRefused(
    limited(ctx.limits.reportsPerSerial, proven.serial, `reporting duplicates of serial ${proven.serial}`),
  );
  ctx.limits.reportsPerSerial?.take(proven.serial);
  const now = ctx.now();
  const at = now.toISOString();
  const clientIp = meta.clientIp ?? null;
  return ctx.db.transaction().execute(async (trx) => {
    const product = await checkActivations(trx, proven);
    const policy = await trx
      .selectFrom('products')
      .select('duplicate_policy')
      .where('code', '=', product)
      .executeTakeFirst();
    const details = { pin: proven.pin, activations: proven.activations, instances: proven.instances, clientIp };
    if (policy?.duplicate_policy === 'review') {
      const held = await holdForReview(ctx, trx, proven, at, clientIp);
      await recordAudit(ctx, trx, now, {
        actor: 'network',
        action: 'duplicate.held',
        subject: proven.serial,
        details: { ...details, report: held },
      });
      return { serial: proven.serial, pin: proven.pin, blacklisted: [], heldForReview: held };
    }
    for (const activationId of proven.activations) {
      await blacklistActivation(ctx, trx, activationId, reasonOf(proven, now), 'network', now);
    }
    await recordAudit(ctx, trx, now, {
      actor: 'network',
      action: 'duplicate.reported',
      subject: proven.serial,
      details,
    });
    return { serial: proven.serial, pin: proven.pin, blacklisted: proven.activations };
  });
}

/** Records a held report, or counts one more report of the same pending one; returns its id. */
async function holdForReview(
  ctx: CenterContext,
  trx: Transaction<DB>,
  proven: VerifiedDuplicate,
  at: string,
  clientIp: string | null,
): Promise<string> {
  const activations = toJson(proven.activations);
  const pending = await trx
    .selectFrom('duplicate_reports')
    .select(['id', 'reports'])
    .where('status', '=', 'pending')
    .where('serial', '=', proven.serial)
    .where('pin_idx', '=', proven.pin)
    .where('activations', '=', activations)
    .executeTakeFirst();
  if (pending !== undefined) {
    await trx
      .updateTable('duplicate_reports')
      .set({ reports: pending.reports + 1, last_at: at, client_ip: clientIp })
      .where('id', '=', pending.id)
      .execute();
    return pending.id;
  }
  const id = ctx.newId();
  await trx
    .insertInto('duplicate_reports')
    .values({
      id,
      serial: proven.serial,
      pin_idx: proven.pin,
      activations,
      instances: toJson(proven.instances),
      // Only what was verified: the reporter's unsigned members (its own `serial`, `pin`, anything
      // else) are not kept.
      evidence: toJson({ format: 2, announcements: proven.announcements }),
      status: 'pending',
      reports: 1,
      first_at: at,
      last_at: at,
      client_ip: clientIp,
      decided_at: null,
    })
    .execute();
  return id;
}

/**
 * The announcements of a stored evidence, as verified when it was received: their signed members
 * only (`instance`, `seq`, the license view's `activationId`). Reports held before the center kept
 * only verified announcements stored the evidence as received; its unsigned members are not read.
 */
function verifiedAnnouncements(evidence: unknown): HeldAnnouncement[] {
  const list = (evidence as { announcements?: unknown } | null)?.announcements;
  if (!Array.isArray(list)) return [];
  return list.map((a: Partial<Announcement> | null) => ({
    instance: String(a?.instance ?? ''),
    seq: Number(a?.seq ?? 0),
    activationId: String(a?.license?.activationId ?? ''),
  }));
}

function view(r: Selectable<DuplicateReportsTable> & { product: string | null }): HeldDuplicate {
  return {
    id: r.id,
    serial: r.serial,
    pin: r.pin_idx,
    product: r.product,
    activations: fromJson(r.activations),
    instances: fromJson(r.instances),
    announcements: verifiedAnnouncements(fromJson(r.evidence)),
    status: r.status,
    reports: r.reports,
    firstAt: r.first_at,
    lastAt: r.last_at,
    clientIp: r.client_ip,
    decidedAt: r.decided_at,
  };
}

/** Held reports with the product of their serial's package (the center's records). */
function heldReports(db: Kysely<DB> | Transaction<DB>) {
  return db
    .selectFrom('duplicate_reports')
    .leftJoin('packages', 'packages.serial', 'duplicate_reports.serial')
    .selectAll('duplicate_reports')
    .select('packages.product_code as product');
}

/** Held reports with `status`, newest first (at most 500). */
export async function listHeldDuplicates(
  ctx: CenterContext,
  status: HeldDuplicate['status'] = 'pending',
): Promise<HeldDuplicate[]> {
  if (status !== 'pending' && status !== 'accepted' && status !== 'dismissed') {
    throw new LictorError('LICTOR_E_INVALID_INPUT', "status must be 'pending', 'accepted' or 'dismissed'", {
      field: 'status',
    });
  }
  const rows = await heldReports(ctx.db)
    .where('duplicate_reports.status', '=', status)
    .orderBy('duplicate_reports.id', 'desc')
    .limit(500)
    .execute();
  return rows.map(view);
}

/** Accepts (blacklists) or dismisses a pending held report, audited with the admin as actor. */
export async function decideHeldDuplicate(
  ctx: CenterContext,
  id: string,
  decision: 'accepted' | 'dismissed',
): Promise<HeldDuplicate> {
  const now = ctx.now();
  return ctx.db.transaction().execute(async (trx) => {
    const row = await heldReports(trx).where('duplicate_reports.id', '=', id).executeTakeFirst();
    if (row === undefined) {
      throw new LictorError('LICTOR_E_NOT_FOUND', `no held duplicate report ${id}`, { id });
    }
    if (row.status !== 'pending') {
      throw new LictorError(
        'LICTOR_E_INVALID_INPUT',
        `the duplicate report ${id} was already ${row.status} (${row.decided_at ?? ''})`,
        { id, status: row.status },
      );
    }
    const held = view(row);
    if (decision === 'accepted') {
      for (const activationId of held.activations) {
        await blacklistActivation(ctx, trx, activationId, reasonOf(held, new Date(row.first_at)), 'admin', now);
      }
    }
    await trx
      .updateTable('duplicate_reports')
      .set({ status: decision, decided_at: now.toISOString() })
      .where('id', '=', id)
      .execute();
    await recordAudit(ctx, trx, now, {
      actor: 'admin',
      action: decision === 'accepted' ? 'duplicate.accepted' : 'duplicate.dismissed',
      subject: held.serial,
      details: { report: id, pin: held.pin, activations: held.activations },
    });
    return { ...held, status: decision, decidedAt: now.toISOString() };
  });
}
