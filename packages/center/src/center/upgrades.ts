/**
 * Remote upgrades of containers. A container asks a question (its license, counter and a fresh
 * nonce, signed with its own key); the center answers with the next state of the license
 * (counter + 1, the question's nonce, a confirmation secret sealed to the container's key) and
 * records it as pending; the container's confirmation code, which only the holder of that
 * secret can make, confirms it.
 */
import {
  confirmationMatches,
  containerTag,
  decodeQuestionFile,
  decodeShortCode,
  encodeShortCode,
  type FeatureGrant,
  type LicenseDocument,
  type LicenseEntry,
  LictorError,
  normalizeSerial,
  parseConfirmationCode,
  randomBytes,
  sealToContainer,
  verifyUpgradeQuestion,
} from '@lictor/protocol';
import type { Kysely } from 'kysely';
import type { DB } from '../store/schema.js';
import { DAY_MS } from './activation.js';
import { recordAudit } from './audit.js';
import type { CenterContext } from './context.js';
import { boundedLimit, futureInstant, integerIn, invalid, MAX_DAYS, MAX_USERS } from './input.js';
import { openForCenter, sealForCenter } from './pins.js';
import { unknownFeature } from './products.js';
import type {
  ActivationMeta,
  AnsweredUpgrade,
  ConfirmedUpgrade,
  UpgradeChanges,
  UpgradeFilter,
  UpgradeView,
} from './types.js';

const MAX_QUESTION_TEXT = 128 * 1024;
const MAX_CODE_TEXT = 256;
const SECRET_BYTES = 16;
/** The context of the confirmation secret sealed to the container (the SDK opens it with the same). */
const CONFIRM_CONTEXT = 'upgrade-confirm';
const STATUSES = ['pending', 'confirmed', 'superseded'] as const;

/** Additional data binding a sealed secret to its upgrade row. */
function secretContext(upgradeId: string): string {
  return `upgrade:${upgradeId}`;
}

/** A feature list of a product, for checking codes. */
async function productFeatures(db: Kysely<DB>, product: string): Promise<string[]> {
  const rows = await db.selectFrom('features').select('code').where('product_code', '=', product).execute();
  return rows.map((r) => r.code);
}

/**
 * Applies the changes to the product's entry; checks every change first, so that a refusal
 * names the field at fault.
 */
function applyChanges(entry: LicenseEntry, changes: UpgradeChanges, known: string[], now: Date): LicenseEntry {
  if (typeof changes !== 'object' || changes === null) invalid('changes', 'say what the upgrade changes');
  const { addFeatures, users, extendDays, expiresAt } = changes;
  if (
    (addFeatures === undefined || addFeatures.length === 0) &&
    (users === undefined || users.length === 0) &&
    extendDays === undefined &&
    expiresAt === undefined
  ) {
    invalid('changes', 'an upgrade needs at least one change: addFeatures, users, extendDays or expiresAt');
  }
  if (extendDays !== undefined && expiresAt !== undefined) {
    invalid('extendDays', 'give either extendDays or expiresAt, not both');
  }
  const features: FeatureGrant[] = entry.features.map((f) => ({ ...f }));
  const next: LicenseEntry = { ...entry, features };

  for (const [i, f] of (addFeatures ?? []).entries()) {
    const field = `addFeatures[${i}]`;
    if (typeof f?.code !== 'string') invalid(`${field}.code`, `${field}.code must be a feature code`);
    if (!known.includes(f.code)) throw unknownFeature(entry.product, f.code, known);
    if (features.some((g) => g.code === f.code)) {
      invalid(`${field}.code`, `feature ${f.code} is already licensed; change its users with 'users'`);
    }
    const n = f.users === null || f.users === undefined ? null : integerIn(f.users, `${field}.users`, 1, MAX_USERS);
    features.push({ code: f.code, users: n });
  }

  for (const [i, u] of (users ?? []).entries()) {
    const field = `users[${i}]`;
    if (typeof u?.code !== 'string')
      invalid(`${field}.code`, `${field}.code must be a feature code, or * for the license`);
    const n = integerIn(u.users, `${field}.users`, 1, MAX_USERS);
    if (u.code === '*' || u.code === entry.product) {
      if (entry.type !== 'multi') {
        invalid(
          `${field}.code`,
          `a ${entry.type} license is for one user; only multi-user licenses change their users`,
        );
      }
      next.users = n;
      continue;
    }
    const granted = features.find((g) => g.code === u.code);
    if (granted === undefined) {
      if (!known.includes(u.code)) throw unknownFeature(entry.product, u.code, known);
      invalid(`${field}.code`, `feature ${u.code} is not licensed; grant it with addFeatures`);
    }
    granted.users = n;
  }

  if (extendDays !== undefined) {
    const days = integerIn(extendDays, 'extendDays', 1, MAX_DAYS);
    if (entry.expiresAt === null) invalid('extendDays', 'the license is perpetual: there is no end to extend');
    const from = Math.max(Date.parse(entry.expiresAt), now.getTime());
    next.expiresAt = new Date(from + days * DAY_MS).toISOString();
  }
  if (expiresAt !== undefined) {
    next.expiresAt = expiresAt === null ? null : futureInstant(expiresAt, 'expiresAt', now);
  }
  return next;
}

/** The changes as recorded: only what was asked. */
function recordedChanges(changes: UpgradeChanges): UpgradeChanges {
  const { addFeatures, users, extendDays, expiresAt } = changes;
  return {
    ...(addFeatures === undefined ? {} : { addFeatures: addFeatures.map((f) => ({ code: f.code, users: f.users })) }),
    ...(users === undefined ? {} : { users: users.map((u) => ({ code: u.code, users: u.users })) }),
    ...(extendDays === undefined ? {} : { extendDays }),
    ...(expiresAt === undefined ? {} : { expiresAt }),
  };
}

/** Answers an upgrade question; everything is checked and recorded in one transaction. */
export async function answerUpgrade(
  ctx: CenterContext,
  questionText: string,
  changes: UpgradeChanges,
  meta: ActivationMeta = {},
): Promise<AnsweredUpgrade> {
  if (typeof questionText !== 'string' || questionText.length > MAX_QUESTION_TEXT) {
    invalid('question', 'question must be the text of a Lictor question file');
  }
  const question = decodeQuestionFile(questionText);
  const current = verifyUpgradeQuestion(question, ctx.signer.publicKey);
  const keys = current.containerKeys;
  if (keys === undefined) throw new Error('a verified question always carries container keys');
  const now = ctx.now();

  return ctx.db.transaction().execute(async (trx) => {
    const activation = await ctx.dialect
      .lockRows(
        trx
          .selectFrom('activations')
          .innerJoin('packages', 'packages.serial', 'activations.serial')
          .select([
            'activations.id',
            'activations.serial',
            'activations.container_id',
            'activations.status',
            'activations.counter',
            'packages.product_code',
            'packages.policy',
            'packages.status as package_status',
          ])
          .where('activations.id', '=', current.activationId),
        'activations',
      )
      .executeTakeFirst();
    if (activation === undefined) {
      throw new LictorError('LICTOR_E_NOT_FOUND', `no activation ${current.activationId} is recorded in this center`, {
        activationId: current.activationId,
      });
    }
    if (activation.serial !== current.serial || activation.container_id !== current.containerId) {
      throw new LictorError(
        'LICTOR_E_UPGRADE_MISMATCH',
        `the question's license (serial ${current.serial}, container ${current.containerId}) is not the one ` +
          `recorded for activation ${activation.id}`,
        { activationId: activation.id },
      );
    }
    if (activation.package_status === 'blacklisted' || activation.status === 'revoked') {
      throw new LictorError(
        'LICTOR_E_BLACKLISTED',
        `the license ${activation.id} of ${activation.serial} is blacklisted`,
        {
          serial: activation.serial,
          activationId: activation.id,
        },
      );
    }
    if (activation.status === 'retired') {
      throw new LictorError(
        'LICTOR_E_UPGRADE_MISMATCH',
        `activation ${activation.id} was retired after a hardware change; upgrade the container of its replacement`,
        { activationId: activation.id },
      );
    }

    const pendingFromHere = await trx
      .selectFrom('upgrades')
      .select('id')
      .where('activation_id', '=', activation.id)
      .where('status', '=', 'pending')
      .where('from_counter', '=', question.counter)
      .execute();
    if (question.counter < activation.counter && pendingFromHere.length === 0) {
      throw new LictorError(
        'LICTOR_E_UPGRADE_STALE',
        `the question was asked at counter ${question.counter}, but the center has already upgraded this container ` +
          `to counter ${activation.counter}: apply the latest upgrade first, then ask again`,
        { containerId: current.containerId, counter: question.counter, centerCounter: activation.counter },
      );
    }

    const index = current.licenses.findIndex((e) => e.product === activation.product_code);
    const before = current.licenses[index];
    if (before === undefined) {
      throw new LictorError(
        'LICTOR_E_UPGRADE_MISMATCH',
        `the question's license holds no license of product ${activation.product_code}`,
        { product: activation.product_code },
      );
    }
    const after = applyChanges(before, changes, await productFeatures(trx, activation.product_code), now);

    const upgradeId = ctx.newId();
    const secret = randomBytes(SECRET_BYTES);
    const toCounter = question.counter + 1;
    const { upgrade: _previous, policy: _policy, ...rest } = current;
    const doc: LicenseDocument = {
      ...rest,
      ...(activation.policy === 'software-dongle' ? { policy: 'software-dongle' } : {}),
      issuedAt: now.toISOString(),
      counter: toCounter,
      licenses: current.licenses.map((e, i) => (i === index ? after : e)),
      upgrade: {
        nonce: question.nonce,
        fromCounter: question.counter,
        confirm: sealToContainer(keys.box, secret, CONFIRM_CONTEXT),
      },
    };
    const answer = await ctx.sealer.seal(doc);

    if (pendingFromHere.length > 0) {
      await trx
        .updateTable('upgrades')
        .set({ status: 'superseded' })
        .where(
          'id',
          'in',
          pendingFromHere.map((p) => p.id),
        )
        .execute();
    }
    const recorded = recordedChanges(changes);
    await trx
      .insertInto('upgrades')
      .values({
        id: upgradeId,
        activation_id: activation.id,
        container_id: current.containerId,
        container_tag: containerTag(current.containerId),
        from_counter: question.counter,
        to_counter: toCounter,
        question_nonce: question.nonce,
        question: questionText,
        answer,
        changes: JSON.stringify(recorded),
        secret_sealed: sealForCenter(ctx.upgradeSecretKey, secretContext(upgradeId), secret),
        status: 'pending',
        created_at: now.toISOString(),
        confirmed_at: null,
        confirmation: null,
      })
      .execute();
    await trx
      .updateTable('activations')
      .set({ counter: Math.max(activation.counter, toCounter), updated_at: now.toISOString() })
      .where('id', '=', activation.id)
      .execute();
    await recordAudit(ctx, trx, now, {
      actor: 'admin',
      action: 'upgrade.answer',
      subject: upgradeId,
      details: {
        serial: activation.serial,
        activationId: activation.id,
        containerId: current.containerId,
        fromCounter: question.counter,
        toCounter,
        changes: recorded,
        superseded: pendingFromHere.map((p) => p.id),
        clientIp: meta.clientIp ?? null,
      },
    });
    return {
      upgradeId,
      answer,
      containerId: current.containerId,
      serial: activation.serial,
      fromCounter: question.counter,
      toCounter,
      summary: { product: activation.product_code, before, after },
    };
  });
}

/** Records a confirmation code; confirming the same upgrade again returns the first record. */
export async function confirmUpgrade(ctx: CenterContext, code: string): Promise<ConfirmedUpgrade> {
  if (typeof code !== 'string' || code.length > MAX_CODE_TEXT) {
    invalid('code', 'code must be the confirmation code shown by the application');
  }
  const parsed = parseConfirmationCode(code);
  const now = ctx.now();
  return ctx.db.transaction().execute(async (trx) => {
    const candidates = await trx
      .selectFrom('upgrades')
      .innerJoin('activations', 'activations.id', 'upgrades.activation_id')
      .select([
        'upgrades.id',
        'upgrades.container_id',
        'upgrades.to_counter',
        'upgrades.question_nonce',
        'upgrades.secret_sealed',
        'upgrades.status',
        'upgrades.confirmed_at',
        'activations.serial',
      ])
      .where('upgrades.container_tag', '=', parsed.tag)
      .where('upgrades.to_counter', '=', parsed.counter)
      .execute();
    const match = candidates.find((u) => {
      const secret = openForCenter(ctx.upgradeSecretKey, secretContext(u.id), u.secret_sealed);
      if (secret === null) {
        throw new Error(
          `the confirmation secret of upgrade ${u.id} cannot be opened: the database does not match this data directory's pin-pepper.key`,
        );
      }
      return confirmationMatches(parsed, {
        containerId: u.container_id,
        counter: u.to_counter,
        nonce: u.question_nonce,
        secret,
      });
    });
    if (match === undefined) {
      throw new LictorError(
        'LICTOR_E_CONFIRMATION_INVALID',
        'this confirmation code matches no upgrade answered by this center: check that it was copied from the ' +
          'application that applied the upgrade',
        { counter: parsed.counter },
      );
    }
    if (match.status === 'superseded') {
      throw new LictorError(
        'LICTOR_E_CONFIRMATION_INVALID',
        `the confirmation code is for upgrade ${match.id}, which was superseded by a later answer to the same question`,
        { upgradeId: match.id },
      );
    }
    const base = {
      upgradeId: match.id,
      containerId: match.container_id,
      serial: match.serial,
      counter: match.to_counter,
    };
    if (match.status === 'confirmed' && match.confirmed_at !== null) {
      return { ...base, confirmedAt: match.confirmed_at, alreadyConfirmed: true };
    }
    const confirmedAt = now.toISOString();
    await trx
      .updateTable('upgrades')
      .set({
        status: 'confirmed',
        confirmed_at: confirmedAt,
        confirmation: encodeShortCode(decodeShortCode(code, 'confirmation code')),
      })
      .where('id', '=', match.id)
      .execute();
    await recordAudit(ctx, trx, now, {
      actor: 'admin',
      action: 'upgrade.confirm',
      subject: match.id,
      details: { serial: match.serial, containerId: match.container_id, counter: match.to_counter },
    });
    return { ...base, confirmedAt, alreadyConfirmed: false };
  });
}

/** Upgrades, newest first. */
export async function listUpgrades(ctx: CenterContext, filter: UpgradeFilter = {}): Promise<UpgradeView[]> {
  let query = ctx.db
    .selectFrom('upgrades')
    .innerJoin('activations', 'activations.id', 'upgrades.activation_id')
    .selectAll('upgrades')
    .select('activations.serial')
    .orderBy('upgrades.id', 'desc')
    .limit(boundedLimit(filter.limit, 100, 'limit'));
  if (filter.serial !== undefined) query = query.where('activations.serial', '=', normalizeSerial(filter.serial));
  if (filter.containerId !== undefined) query = query.where('upgrades.container_id', '=', filter.containerId);
  if (filter.status !== undefined) {
    if (!(STATUSES as readonly string[]).includes(filter.status))
      invalid('status', `status must be one of ${STATUSES.join(', ')}`);
    query = query.where('upgrades.status', '=', filter.status as (typeof STATUSES)[number]);
  }
  const rows = await query.execute();
  return rows.map((r) => ({
    id: r.id,
    activationId: r.activation_id,
    serial: r.serial,
    containerId: r.container_id,
    fromCounter: r.from_counter,
    toCounter: r.to_counter,
    status: r.status,
    createdAt: r.created_at,
    confirmedAt: r.confirmed_at,
    changes: JSON.parse(r.changes) as UpgradeChanges,
    question: r.question,
    answer: r.answer,
    confirmation: r.confirmation,
  }));
}
