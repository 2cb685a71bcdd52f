/**
 * Remote upgrades of containers. A container asks a question (its license, counter and a fresh
 * nonce, signed with its own key); the center answers with the next state of the license
 * (counter + 1, the question's nonce, a confirmation secret sealed to the container's key) and
 * records it as pending; the container's confirmation code, which only the holder of that
 * secret can make, confirms it.
 */
import {
  type ConfirmationCode,
  confirmationMatches,
  containerTag,
  decodeQuestionFile,
  decodeShortCode,
  encodeShortCode,
  type LicenseDocument,
  LictorError,
  normalizeSerial,
  parseConfirmationCode,
  randomBytes,
  sealToContainer,
  type UpgradeQuestion,
  verifyUpgradeQuestion,
} from '@lictor/protocol';
import type { Kysely } from 'kysely';
import { fromJson, toJson } from '../store/json-column.js';
import type { DB, UpgradeStatus } from '../store/schema.js';
import { recordAudit } from './audit.js';
import type { CenterContext } from './context.js';
import { boundedLimit, invalid } from './input.js';
import { checked, inTransaction, invalidInput, isRefusal, type Outcome, orThrow, refuse } from './outcome.js';
import { openForCenter, sealForCenter } from './pins.js';
import type {
  ActivationMeta,
  AnsweredUpgrade,
  ConfirmedUpgrade,
  UpgradeChanges,
  UpgradeFilter,
  UpgradePreview,
  UpgradeSummary,
  UpgradeView,
} from './types.js';
import { recordedChanges, upgradeLicenses } from './upgrade-changes.js';
import { describeUpgrade } from './upgrade-summary.js';

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

/** The feature codes of each of `products` that exists, for checking codes. */
async function productFeatures(db: Kysely<DB>, products: readonly string[]): Promise<Record<string, string[]>> {
  const known: Record<string, string[]> = {};
  if (products.length === 0) return known;
  const rows = await db
    .selectFrom('products')
    .select('code')
    .where('code', 'in', [...products])
    .execute();
  for (const r of rows) known[r.code] = [];
  const features = await db
    .selectFrom('features')
    .select(['product_code', 'code'])
    .where('product_code', 'in', [...products])
    .orderBy('product_code')
    .orderBy('code')
    .execute();
  for (const f of features) known[f.product_code]?.push(f.code);
  return known;
}

/** The products an answer may touch: the container's and those the changes name. */
function productsNamed(current: LicenseDocument, changes: UpgradeChanges): string[] {
  const codes = new Set(current.licenses.map((e) => e.product));
  if (typeof changes?.product === 'string') codes.add(changes.product);
  for (const p of Array.isArray(changes?.addProducts) ? changes.addProducts : []) {
    if (typeof p?.product === 'string') codes.add(p.product);
  }
  return [...codes].sort();
}

/** The locked activation row an answer depends on. */
interface UpgradeActivation {
  id: string;
  serial: string;
  container_id: string | null;
  status: string;
  counter: number;
  product_code: string;
  policy: string;
  package_status: string;
}

/** What the center knows of a container when it answers: read once to decide, again under the lock to apply. */
interface UpgradeState {
  activation: UpgradeActivation | undefined;
  /** Pending upgrades answered to a question at the same counter (superseded by this answer). */
  pendingFromHere: string[];
  /** The feature codes of every product the answer may touch. */
  features: Record<string, string[]>;
}

/** Reads the state an answer depends on; `lock` locks the activation row until the transaction ends. */
async function loadState(
  ctx: CenterContext,
  db: Kysely<DB>,
  activationId: string,
  fromCounter: number,
  products: readonly string[],
  lock: boolean,
): Promise<UpgradeState> {
  const query = db
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
    .where('activations.id', '=', activationId);
  const activation = await (lock ? ctx.dialect.lockRows(query, 'activations') : query).executeTakeFirst();
  const pending = await db
    .selectFrom('upgrades')
    .select('id')
    .where('activation_id', '=', activationId)
    .where('status', '=', 'pending')
    .where('from_counter', '=', fromCounter)
    .orderBy('id')
    .execute();
  const features =
    activation === undefined ? {} : await productFeatures(db, [...new Set([...products, activation.product_code])]);
  return { activation, pendingFromHere: pending.map((p) => p.id), features };
}

/** Whether the state read under the lock is the one the answer was decided and sealed on. */
function sameState(a: UpgradeState, b: UpgradeState): boolean {
  const x = a.activation;
  const y = b.activation;
  return (
    x !== undefined &&
    y !== undefined &&
    x.counter === y.counter &&
    x.status === y.status &&
    x.package_status === y.package_status &&
    x.policy === y.policy &&
    a.pendingFromHere.join() === b.pendingFromHere.join() &&
    JSON.stringify(a.features) === JSON.stringify(b.features)
  );
}

/** An answer decided: the next license document and what to record. */
interface UpgradePlan {
  activation: UpgradeActivation;
  doc: LicenseDocument;
  summary: UpgradeSummary;
  recorded: UpgradeChanges;
  toCounter: number;
}

/**
 * Decides the answer to a verified question (pure): the next state of the container's license, or
 * the refusal. `confirm` is the confirmation secret already sealed to the container's key.
 */
function decideUpgrade(
  question: UpgradeQuestion,
  current: LicenseDocument,
  state: UpgradeState,
  changes: UpgradeChanges,
  confirm: string,
  now: Date,
): Outcome<UpgradePlan> {
  const activation = state.activation;
  if (activation === undefined) {
    return refuse('LICTOR_E_NOT_FOUND', `no activation ${current.activationId} is recorded in this center`, {
      activationId: current.activationId,
    });
  }
  if (activation.serial !== current.serial || activation.container_id !== current.containerId) {
    return refuse(
      'LICTOR_E_UPGRADE_MISMATCH',
      `the question's license (serial ${current.serial}, container ${current.containerId}) is not the one ` +
        `recorded for activation ${activation.id}`,
      { activationId: activation.id },
    );
  }
  if (activation.package_status === 'blacklisted' || activation.status === 'revoked') {
    return refuse('LICTOR_E_BLACKLISTED', `the license ${activation.id} of ${activation.serial} is blacklisted`, {
      serial: activation.serial,
      activationId: activation.id,
    });
  }
  if (activation.status === 'retired') {
    return refuse(
      'LICTOR_E_UPGRADE_MISMATCH',
      `activation ${activation.id} was retired after a hardware change; upgrade the container of its replacement`,
      { activationId: activation.id },
    );
  }
  if (question.counter < activation.counter && state.pendingFromHere.length === 0) {
    return refuse(
      'LICTOR_E_UPGRADE_STALE',
      `the question was asked at counter ${question.counter}, but the center has already upgraded this container ` +
        `to counter ${activation.counter}: apply the latest upgrade first, then ask again`,
      { containerId: current.containerId, counter: question.counter, centerCounter: activation.counter },
    );
  }
  if (!current.licenses.some((e) => e.product === activation.product_code)) {
    return refuse(
      'LICTOR_E_UPGRADE_MISMATCH',
      `the question's license holds no license of product ${activation.product_code}`,
      { product: activation.product_code },
    );
  }
  const next = upgradeLicenses(current.licenses, activation.product_code, changes, state.features, now);
  if (isRefusal(next)) return next;
  const toCounter = question.counter + 1;
  const { upgrade: _previous, policy: _policy, ...rest } = current;
  const doc: LicenseDocument = {
    ...rest,
    ...(activation.policy === 'software-dongle' ? { policy: 'software-dongle' } : {}),
    issuedAt: now.toISOString(),
    counter: toCounter,
    licenses: next.licenses,
    upgrade: { nonce: question.nonce, fromCounter: question.counter, confirm },
  };
  return { activation, doc, summary: next.summary, recorded: recordedChanges(changes), toCounter };
}

/** The verified question and the license it carries, or why the question cannot be answered. */
function verifiedQuestion(ctx: CenterContext, questionText: string) {
  if (typeof questionText !== 'string' || questionText.length > MAX_QUESTION_TEXT) {
    return invalidInput('question', 'question must be the text of a Lictor question file');
  }
  return checked(() => {
    const question = decodeQuestionFile(questionText);
    const current = verifyUpgradeQuestion(question, ctx.signer.publicKey);
    const keys = current.containerKeys;
    if (keys === undefined) throw new Error('a verified question always carries container keys');
    return { question, current, keys };
  });
}

/** Decides the answer to a question as {@link answerUpgrade} would, and returns it without signing or recording. */
export async function previewUpgrade(
  ctx: CenterContext,
  questionText: string,
  changes: UpgradeChanges,
): Promise<UpgradePreview> {
  const { question, current } = orThrow(verifiedQuestion(ctx, questionText));
  const state = await loadState(
    ctx,
    ctx.db,
    current.activationId,
    question.counter,
    productsNamed(current, changes),
    false,
  );
  const plan = orThrow(decideUpgrade(question, current, state, changes, '', ctx.now()));
  return {
    containerId: current.containerId,
    serial: plan.activation.serial,
    fromCounter: question.counter,
    toCounter: plan.toCounter,
    summary: plan.summary,
  };
}

/** How often an answer is decided and sealed again when the container changed meanwhile. */
const MAX_ANSWER_ATTEMPTS = 5;

/**
 * Answers an upgrade question: load → decide (pure) → seal → apply. The answer is stored with
 * the upgrade, so it is sealed before it is recorded, but outside any lock (signing waits for the
 * sealing worker); the short transaction that records it re-reads the state under the row lock
 * and starts over if another answer or confirmation changed it meanwhile (optimistic).
 */
export async function answerUpgrade(
  ctx: CenterContext,
  questionText: string,
  changes: UpgradeChanges,
  meta: ActivationMeta = {},
): Promise<AnsweredUpgrade> {
  const { question, current, keys } = orThrow(verifiedQuestion(ctx, questionText));
  const now = ctx.now();
  const products = productsNamed(current, changes);

  for (let attempt = 1; ; attempt++) {
    const seen = await loadState(ctx, ctx.db, current.activationId, question.counter, products, false);
    const upgradeId = ctx.newId();
    const secret = randomBytes(SECRET_BYTES);
    const confirm = sealToContainer(keys.box, secret, CONFIRM_CONTEXT);
    const plan = orThrow(decideUpgrade(question, current, seen, changes, confirm, now));
    const answer = await ctx.sealer.seal(plan.doc);
    const applied = await ctx.db.transaction().execute(async (trx) => {
      const locked = await loadState(ctx, trx, current.activationId, question.counter, products, true);
      if (!sameState(seen, locked)) return false;
      await applyUpgrade(ctx, trx, { plan, upgradeId, secret, answer, question, questionText, meta, now });
      return true;
    });
    if (applied) {
      return {
        upgradeId,
        answer,
        containerId: current.containerId,
        serial: plan.activation.serial,
        fromCounter: question.counter,
        toCounter: plan.toCounter,
        summary: plan.summary,
      };
    }
    if (attempt >= MAX_ANSWER_ATTEMPTS) {
      throw new LictorError(
        'LICTOR_E_UPGRADE_STALE',
        `container ${current.containerId} changed ${attempt} times while its question was being answered: answer it again`,
        { containerId: current.containerId },
      );
    }
  }
}

/** Records a decided and sealed answer (inside the transaction that holds the row lock). */
async function applyUpgrade(
  ctx: CenterContext,
  trx: Kysely<DB>,
  a: {
    plan: UpgradePlan;
    upgradeId: string;
    secret: Uint8Array;
    answer: string;
    question: UpgradeQuestion;
    questionText: string;
    meta: ActivationMeta;
    now: Date;
  },
): Promise<void> {
  const { plan, upgradeId, question, now } = a;
  const { activation } = plan;
  const superseded = await trx
    .selectFrom('upgrades')
    .select('id')
    .where('activation_id', '=', activation.id)
    .where('status', '=', 'pending')
    .where('from_counter', '=', question.counter)
    .execute();
  if (superseded.length > 0) {
    await trx
      .updateTable('upgrades')
      .set({ status: 'superseded' })
      .where(
        'id',
        'in',
        superseded.map((p) => p.id),
      )
      .execute();
  }
  const containerId = plan.doc.containerId;
  await trx
    .insertInto('upgrades')
    .values({
      id: upgradeId,
      activation_id: activation.id,
      container_id: containerId,
      container_tag: containerTag(containerId),
      from_counter: question.counter,
      to_counter: plan.toCounter,
      question_nonce: question.nonce,
      question: a.questionText,
      answer: a.answer,
      changes: toJson(plan.recorded),
      secret_sealed: sealForCenter(ctx.upgradeSecretKey, secretContext(upgradeId), a.secret),
      status: 'pending',
      created_at: now.toISOString(),
      confirmed_at: null,
      confirmation: null,
    })
    .execute();
  await trx
    .updateTable('activations')
    .set({ counter: Math.max(activation.counter, plan.toCounter), updated_at: now.toISOString() })
    .where('id', '=', activation.id)
    .execute();
  await recordAudit(ctx, trx, now, {
    actor: 'admin',
    action: 'upgrade.answer',
    subject: upgradeId,
    details: {
      serial: activation.serial,
      activationId: activation.id,
      containerId,
      fromCounter: question.counter,
      toCounter: plan.toCounter,
      changes: plan.recorded,
      product: plan.summary.product,
      before: plan.summary.before,
      after: plan.summary.after,
      added: plan.summary.added,
      described: describeUpgrade(plan.summary),
      superseded: superseded.map((p) => p.id),
      clientIp: a.meta.clientIp ?? null,
    },
  });
}

/** An upgrade a confirmation code may confirm, with its package's serial. */
interface ConfirmCandidate {
  id: string;
  container_id: string;
  to_counter: number;
  question_nonce: string;
  secret_sealed: string;
  status: UpgradeStatus;
  confirmed_at: string | null;
  serial: string;
}

/** The upgrades a confirmation code names by its container tag and counter. */
function confirmCandidates(db: Kysely<DB>, parsed: ConfirmationCode): Promise<ConfirmCandidate[]> {
  return db
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
}

/** What a confirmation does: record it, or return the first record of an upgrade confirmed already. */
type ConfirmDecision = { confirm: ConfirmCandidate } | { already: ConfirmedUpgrade };

function confirmedView(u: ConfirmCandidate, confirmedAt: string, alreadyConfirmed: boolean): ConfirmedUpgrade {
  return {
    upgradeId: u.id,
    containerId: u.container_id,
    serial: u.serial,
    counter: u.to_counter,
    confirmedAt,
    alreadyConfirmed,
  };
}

/** Decides a confirmation code (pure but for opening the sealed secrets): which upgrade it confirms, or the refusal. */
function decideConfirmation(
  ctx: CenterContext,
  parsed: ConfirmationCode,
  candidates: ConfirmCandidate[],
): Outcome<ConfirmDecision> {
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
    return refuse(
      'LICTOR_E_CONFIRMATION_INVALID',
      'this confirmation code matches no upgrade answered by this center: check that it was copied from the ' +
        'application that applied the upgrade',
      { counter: parsed.counter },
    );
  }
  if (match.status === 'superseded') {
    return refuse(
      'LICTOR_E_CONFIRMATION_INVALID',
      `the confirmation code is for upgrade ${match.id}, which was superseded by a later answer to the same question`,
      { upgradeId: match.id },
    );
  }
  if (match.status === 'confirmed' && match.confirmed_at !== null) {
    return { already: confirmedView(match, match.confirmed_at, true) };
  }
  return { confirm: match };
}

/** Records a confirmation code (load → decide → apply, in one transaction); confirming the same upgrade again returns the first record. */
export async function confirmUpgrade(ctx: CenterContext, code: string): Promise<ConfirmedUpgrade> {
  if (typeof code !== 'string' || code.length > MAX_CODE_TEXT) {
    invalid('code', 'code must be the confirmation code shown by the application');
  }
  const parsed = parseConfirmationCode(code);
  const now = ctx.now();
  const outcome = await inTransaction(ctx.db, async (trx) => {
    const decision = decideConfirmation(ctx, parsed, await confirmCandidates(trx, parsed));
    if (isRefusal(decision)) return decision;
    if ('already' in decision) return decision.already;
    const match = decision.confirm;
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
    return confirmedView(match, confirmedAt, false);
  });
  return orThrow(outcome);
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
    changes: fromJson(r.changes),
    question: r.question,
    answer: r.answer,
    confirmation: r.confirmation,
  }));
}
