/**
 * The manager's identity file (`manager.json` in its data directory): its id and the hash of its
 * admin API token. The token itself is never stored; it is shown once, when made.
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readTextIfExists, writeFileAtomic } from '@lictor/node-io';
import { LictorError, sha256, toHex } from '@lictor/protocol';

/** What `manager.json` holds. */
export interface ManagerIdentity {
  id: string;
  adminTokenHash: string;
}

/** A new identity (or admin token) and the token to show once. */
export interface NewIdentity {
  identity: ManagerIdentity;
  adminToken: string;
}

const FILE = 'manager.json';

function newAdminToken(): { adminToken: string; adminTokenHash: string } {
  const adminToken = `lictor-manager-${randomBytes(32).toString('base64url')}`;
  return { adminToken, adminTokenHash: toHex(sha256(adminToken)) };
}

/** The identity file's contents; anything else is a typed refusal that says how to recover. */
function parseIdentity(text: string, file: string): ManagerIdentity {
  let parsed: Partial<ManagerIdentity> | undefined;
  try {
    parsed = JSON.parse(text) as Partial<ManagerIdentity>;
  } catch {
    parsed = undefined;
  }
  if (typeof parsed?.id !== 'string' || typeof parsed.adminTokenHash !== 'string') {
    throw new LictorError(
      'LICTOR_E_FILE_FORMAT',
      `${file} is not a License Manager identity file: restore it from a backup, or move it away to start with a new manager id and admin token`,
    );
  }
  return { id: parsed.id, adminTokenHash: parsed.adminTokenHash };
}

/** Reads the identity of the manager whose data directory is `dir`; `undefined` when it has none yet. */
export async function readManagerIdentity(dir: string): Promise<ManagerIdentity | undefined> {
  const file = join(dir, FILE);
  let text: string | undefined;
  try {
    text = await readTextIfExists(file);
  } catch (err) {
    throw new LictorError('LICTOR_E_FILE_UNREADABLE', `cannot read ${file}: ${(err as Error).message}`);
  }
  return text === undefined ? undefined : parseIdentity(text, file);
}

/** A new identity for a manager that has none, not yet written (see {@link writeManagerIdentity}). */
export function newManagerIdentity(): NewIdentity {
  const { adminToken, adminTokenHash } = newAdminToken();
  return { identity: { id: `mgr-${randomBytes(6).toString('hex')}`, adminTokenHash }, adminToken };
}

/** Writes `identity` into `dir` (created owner-only), atomically and readable by the owner only. */
export async function writeManagerIdentity(dir: string, identity: ManagerIdentity): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(join(dir, FILE), `${JSON.stringify(identity, null, 2)}\n`, 0o600);
}

/**
 * Replaces the admin token of the manager in `dir` (its id stays); the old token stops working at
 * the manager's next start. Refuses with `LICTOR_E_NOT_FOUND` when `dir` holds no manager.
 */
export async function reissueManagerAdminToken(dir: string): Promise<NewIdentity> {
  const current = await readManagerIdentity(dir);
  if (current === undefined) {
    throw new LictorError(
      'LICTOR_E_NOT_FOUND',
      `no License Manager in ${join(dir, FILE)}: 'lictor manager serve' makes one on its first start`,
    );
  }
  const { adminToken, adminTokenHash } = newAdminToken();
  const identity = { id: current.id, adminTokenHash };
  await writeManagerIdentity(dir, identity);
  return { identity, adminToken };
}
