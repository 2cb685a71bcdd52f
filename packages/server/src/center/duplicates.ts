/**
 * Duplicate reports from customers' networks: the evidence (three announcements signed by the
 * license containers, see `verifyDuplicateEvidence`) is checked with the vendor key, then every
 * activation it names is blacklisted, with the network as the actor in the audit log.
 */
import { LictorError, verifyDuplicateEvidence } from '@lictor/protocol';
import { recordAudit } from './audit.js';
import { blacklistActivation } from './blacklist.js';
import type { CenterContext } from './context.js';
import type { ActivationMeta, DuplicateReport } from './types.js';

/** Verifies a duplicate report, then blacklists the activations involved and audits the report in one transaction. */
export async function reportDuplicate(
  ctx: CenterContext,
  evidence: unknown,
  meta: ActivationMeta = {},
): Promise<DuplicateReport> {
  const proven = verifyDuplicateEvidence(evidence, ctx.signer.publicKey);
  const now = ctx.now();
  const reportedAt = now.toISOString();
  const reason =
    `duplicate: serial ${proven.serial} PIN ${proven.pin} in use on two computers at once ` +
    `(reported ${reportedAt})`;
  await ctx.db.transaction().execute(async (trx) => {
    const known = await trx
      .selectFrom('activations')
      .select(['id', 'serial', 'pin_idx'])
      .where('id', 'in', proven.activations)
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
    for (const activationId of proven.activations) {
      await blacklistActivation(ctx, trx, activationId, reason, 'network', now);
    }
    await recordAudit(ctx, trx, now, {
      actor: 'network',
      action: 'duplicate.reported',
      subject: proven.serial,
      details: {
        pin: proven.pin,
        activations: proven.activations,
        instances: proven.instances,
        ...(meta.clientIp === undefined ? {} : { clientIp: meta.clientIp }),
      },
    });
  });
  return { serial: proven.serial, pin: proven.pin, blacklisted: proven.activations };
}
