/**
 * Duplicate reports from customers' networks: the evidence (three announcements signed by the
 * license containers, see `verifyDuplicateEvidence`) is checked with the vendor key, then every
 * activation it names is blacklisted, with the network as the actor in the audit log.
 */
import { LictorError, verifyDuplicateEvidence } from '@lictor/protocol';
import { recordAudit } from './audit.js';
import { addToBlacklist } from './blacklist.js';
import type { CenterContext } from './context.js';
import type { ActivationMeta, DuplicateReport } from './types.js';

/** Reports more than this far in the future (clock skew) are refused. */
const MAX_FUTURE_MS = 10 * 60_000;

/** Verifies a duplicate report and blacklists the activations involved. */
export async function reportDuplicate(
  ctx: CenterContext,
  evidence: unknown,
  meta: ActivationMeta = {},
): Promise<DuplicateReport> {
  const proven = verifyDuplicateEvidence(evidence, ctx.signer.publicKey);
  const now = ctx.now();
  if (proven.seenAtMs > now.getTime() + MAX_FUTURE_MS) {
    throw new LictorError('LICTOR_E_EVIDENCE_INVALID', 'the duplicate evidence is dated in the future');
  }
  const known = await ctx.db
    .selectFrom('activations')
    .select(['id', 'serial', 'pin_idx'])
    .where('id', 'in', proven.activations)
    .execute();
  for (const id of proven.activations) {
    const row = known.find((r) => r.id === id);
    if (row === undefined || row.serial !== proven.serial || row.pin_idx !== proven.pin) {
      throw new LictorError('LICTOR_E_EVIDENCE_INVALID', `the duplicate evidence names an unknown activation ${id}`);
    }
  }
  const reason =
    `duplicate: serial ${proven.serial} PIN ${proven.pin} in use on two computers at once ` +
    `(${new Date(proven.seenAtMs).toISOString()})`;
  for (const activationId of proven.activations) {
    await addToBlacklist(ctx, { activationId, reason }, 'network');
  }
  await ctx.db.transaction().execute((trx) =>
    recordAudit(ctx, trx, now, {
      actor: 'network',
      action: 'duplicate.reported',
      subject: proven.serial,
      details: {
        pin: proven.pin,
        activations: proven.activations,
        seenAt: new Date(proven.seenAtMs).toISOString(),
        ...(meta.clientIp === undefined ? {} : { clientIp: meta.clientIp }),
      },
    }),
  );
  return { serial: proven.serial, pin: proven.pin, blacklisted: proven.activations };
}
