/**
 * Remote upgrade on the container's side: asking a question, applying the vendor's answer
 * atomically (only on top of the asked state, only once), and showing the confirmation code.
 * Where the license and the pending operation live (a license directory, a hardware token) is
 * behind {@link ContainerStorage}; the rules here are the same for every place.
 */
import {
  canonicalJson,
  createConfirmationCode,
  createUpgradeQuestion,
  encodeQuestionFile,
  type LicenseDocument,
  LictorError,
  openFromContainer,
  randomBytes,
  toBase64Url,
} from '@lictor/protocol';
import type { LoadedContainer } from './containers.js';
import type { TokenLocation } from './tokens/options.js';
import { type AbandonedQuestion, MAX_ABANDONED } from './upgrade-record.js';
import type { ContainerStorage } from './upgrade-storage.js';

/** A new upgrade question, to send to the vendor. */
export interface StartedUpgrade {
  containerId: string;
  /** The question's nonce; the answer carries it back. */
  nonce: string;
  /** The armored question file. */
  question: string;
  /** The operation this one replaced: its answer will no longer apply. */
  abandoned?: { nonce: string; createdAt: string };
  /** The hardware token whose memory holds the container and now the pending operation, when it is not a file. */
  onToken?: TokenLocation;
}

/** An applied upgrade. */
export interface AppliedUpgrade {
  containerId: string;
  /** The container's new counter. */
  counter: number;
  /** The code to give the vendor, proving the upgrade was applied. */
  confirmationCode: string;
  /** The license file that was replaced (`token:<manufacturer>/<serial>` for a container on a hardware token). */
  file: string;
  /** The hardware token whose memory holds the upgraded container, when it is not a file. */
  onToken?: TokenLocation;
}

/**
 * The containers with this id, best first: the highest counter, and among equals one whose keys
 * open here (the genuine token before a copy of its memory on another token).
 */
export function containersWithId(containers: readonly LoadedContainer[], containerId: string): LoadedContainer[] {
  return containers
    .filter((c) => c.doc.containerId === containerId)
    .sort((a, b) => b.doc.counter - a.doc.counter || Number(b.keys.ok) - Number(a.keys.ok));
}

/** Which container an operation is for: the one named, or the only one present. */
export function pickContainer(containers: readonly LoadedContainer[], containerId?: string): LoadedContainer {
  const ids = [...new Set(containers.map((c) => c.doc.containerId))];
  if (containerId === undefined) {
    if (ids.length === 1) containerId = ids[0] as string;
    else if (ids.length === 0) {
      throw new LictorError('LICTOR_E_NOT_FOUND', 'there is no license container in the license directories');
    } else {
      const described = ids.map((id) => {
        const c = containers.find((x) => x.doc.containerId === id) as LoadedContainer;
        return `${id} (serial ${c.doc.serial}, ${c.doc.licenses.map((l) => l.product).join('/')})`;
      });
      throw new LictorError(
        'LICTOR_E_CONTAINER_AMBIGUOUS',
        `there are several containers: name one of ${described.join(', ')} (lictor: --container ID; 'lictor status' shows each file's container)`,
        { containers: ids },
      );
    }
  }
  const found = containersWithId(containers, containerId)[0];
  if (!found) throw new LictorError('LICTOR_E_NOT_FOUND', `there is no container ${containerId} here`);
  return found;
}

function privateKeys(c: LoadedContainer) {
  if (!c.keys.ok) throw new LictorError(c.keys.code, `container ${c.doc.containerId}: ${c.keys.reason}`);
  return c.keys.keys;
}

/**
 * Asks a new question for a container and records it as the pending operation, replacing
 * (abandoning) the previous one.
 */
export async function startUpgradeOf(
  c: LoadedContainer,
  storage: ContainerStorage,
  now: Date,
): Promise<StartedUpgrade> {
  const keys = privateKeys(c);
  const { doc } = c;
  const nonce = toBase64Url(randomBytes(16));
  const createdAt = now.toISOString();
  const question = createUpgradeQuestion({ license: c.text, doc, nonce, createdAt }, keys.sign);
  const previous = await storage.readPending();
  const abandoned: AbandonedQuestion[] = previous?.abandoned ?? [];
  // A pending question whose answer the license already carries was answered, not abandoned.
  const replaced = previous && previous.nonce !== doc.upgrade?.nonce ? previous : undefined;
  if (replaced) abandoned.unshift({ nonce: replaced.nonce, createdAt: replaced.createdAt, abandonedAt: createdAt });
  await storage.writePending({
    nonce,
    counter: doc.counter,
    createdAt,
    abandoned: abandoned.slice(0, MAX_ABANDONED),
  });
  return {
    containerId: doc.containerId,
    nonce,
    question: encodeQuestionFile(question),
    ...(replaced ? { abandoned: { nonce: replaced.nonce, createdAt: replaced.createdAt } } : {}),
    ...(c.token ? { onToken: c.token } : {}),
  };
}

function confirmationOf(c: LoadedContainer, doc: LicenseDocument): string {
  const keys = privateKeys(c);
  const stamp = doc.upgrade;
  if (!stamp) throw new LictorError('LICTOR_E_FILE_FORMAT', 'this license file is not an upgrade answer');
  const secret = openFromContainer(keys.box, stamp.confirm, 'upgrade-confirm');
  if (secret === null) {
    throw new LictorError(
      'LICTOR_E_CONTAINER_TAMPERED',
      "the upgrade's confirmation secret does not open with this container's key",
    );
  }
  return createConfirmationCode({ containerId: doc.containerId, counter: doc.counter, nonce: stamp.nonce, secret });
}

/** The confirmation code of the last upgrade applied to a container (to show it again). */
export function lastConfirmationCode(c: LoadedContainer): string {
  if (!c.doc.upgrade) {
    throw new LictorError(
      'LICTOR_E_NO_UPGRADE_PENDING',
      `container ${c.doc.containerId} has not been upgraded yet: there is no confirmation code`,
    );
  }
  return confirmationOf(c, c.doc);
}

const same = (a: unknown, b: unknown) => canonicalJson(a ?? null) === canonicalJson(b ?? null);

/**
 * Applies an upgrade answer (`doc`, verified from `text`) to the container `c` it names:
 * checks every rule, then replaces the license atomically and clears the pending record.
 */
export async function applyUpgrade(
  doc: LicenseDocument,
  text: string,
  c: LoadedContainer,
  storage: ContainerStorage,
): Promise<AppliedUpgrade> {
  const current = c.doc;
  const id = current.containerId;
  const stamp = doc.upgrade;
  if (!stamp) {
    throw new LictorError(
      'LICTOR_E_FILE_FORMAT',
      'this license file is not an upgrade answer (it has no upgrade stamp)',
    );
  }
  const pending = await storage.readPending();
  const applied = (counter: number, confirmationCode: string): AppliedUpgrade => ({
    containerId: id,
    counter,
    confirmationCode,
    file: c.path,
    ...(c.token ? { onToken: c.token } : {}),
  });
  if (current.counter === doc.counter && current.upgrade?.nonce === stamp.nonce && same(current, doc)) {
    if (pending?.nonce === stamp.nonce) {
      // Interrupted after the license was replaced: finish by clearing the record.
      const confirmationCode = confirmationOf(c, current);
      await storage.tidy();
      await storage.clearPending();
      return applied(current.counter, confirmationCode);
    }
    const appliedAt = await storage.replacedAt();
    throw new LictorError(
      'LICTOR_E_UPGRADE_STALE',
      `this answer was already applied${appliedAt === undefined ? '' : ` on ${appliedAt}`} (container ${id} is at counter ${current.counter}); show its confirmation code again with 'lictor upgrade confirmation'`,
    );
  }
  if (stamp.fromCounter !== current.counter || doc.counter !== current.counter + 1) {
    throw new LictorError(
      'LICTOR_E_UPGRADE_STALE',
      `this answer was made for counter ${stamp.fromCounter} of container ${id}, which is now at counter ${current.counter}; start a new upgrade`,
    );
  }
  if (!pending) {
    throw new LictorError(
      'LICTOR_E_NO_UPGRADE_PENDING',
      `no upgrade operation was started for container ${id} ${c.token ? 'on this hardware token' : 'with this license directory'}; start one first`,
    );
  }
  if (pending.nonce !== stamp.nonce) {
    const abandoned = pending.abandoned.find((a) => a.nonce === stamp.nonce);
    if (abandoned) {
      throw new LictorError(
        'LICTOR_E_UPGRADE_ABANDONED',
        `this answer is for an upgrade operation that was abandoned when a new one was started on ${abandoned.abandonedAt}; send the newest question`,
      );
    }
    throw new LictorError(
      'LICTOR_E_UPGRADE_STALE',
      `this answer does not answer the pending question of container ${id} (asked on ${pending.createdAt}); send that question`,
    );
  }
  if (
    doc.serial !== current.serial ||
    doc.activationId !== current.activationId ||
    !same(doc.binding, current.binding) ||
    !same(doc.owner, current.owner) ||
    !same(doc.containerKeys, current.containerKeys)
  ) {
    throw new LictorError(
      'LICTOR_E_UPGRADE_MISMATCH',
      `this answer changes the identity of container ${id} (serial, activation, owner, binding or keys); it is refused`,
    );
  }
  const confirmationCode = confirmationOf(c, doc);
  await storage.replaceLicense(text);
  await storage.clearPending();
  return applied(doc.counter, confirmationCode);
}
