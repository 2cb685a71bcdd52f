/** The {@link Center} object: the domain modules bound to one open store, key set and clock. */
import { constantTimeEqual, isTimeNonce, sha256, signServerTime, type VendorSigner } from '@lictor/protocol';
import { sql } from 'kysely';
import type { Store } from '../store/open.js';
import type { CenterAlert } from './abuse.js';
import { activate } from './activation.js';
import { listActivations } from './activations.js';
import { listAudit } from './audit.js';
import { addToBlacklist, blacklistFile } from './blacklist.js';
import type { CenterContext } from './context.js';
import { decideHeldDuplicate, listHeldDuplicates, reportDuplicate } from './duplicates.js';
import { createShortSortableIds, createSortableIds } from './ids.js';
import { invalid } from './input.js';
import { answerRequest, answerRequestCode, previewRequest } from './offline.js';
import { getPackage, issuePackage } from './packages.js';
import { pinSealKey, upgradeSecretKey } from './pins.js';
import { addProduct, listProducts, setDuplicatePolicy } from './products.js';
import { createLimits, type RateLimitOptions } from './rate-limits.js';
import type { LicenseSealer } from './sealer.js';
import { listTokens, pinForToken, recordTokenProgramming } from './tokens.js';
import type { Center } from './types.js';
import { answerUpgrade, confirmUpgrade, listUpgrades, previewUpgrade } from './upgrades.js';

/** What {@link createCenter} ties together; `openCenter` reads it from the data directory. */
export interface CenterParts {
  dataDir: string;
  store: Store;
  signer: VendorSigner;
  sealer: LicenseSealer;
  pinPepper: Uint8Array;
  /** SHA-256 of the admin token. */
  adminTokenHash: Uint8Array;
  now: () => Date;
  /** Offline requests older than this many days are refused. */
  requestMaxAgeDays: number;
  /** Rate limits of the public endpoints; defaults in `DEFAULT_RATE_LIMITS`. */
  rateLimits?: RateLimitOptions;
}

/** Builds the center over an open store; closing the center closes the store. */
export function createCenter(parts: CenterParts): Center {
  const listeners = new Set<(alert: CenterAlert) => void>();
  const ctx: CenterContext = {
    db: parts.store.db,
    dialect: parts.store.dialect,
    signer: parts.signer,
    sealer: parts.sealer,
    pinPepper: parts.pinPepper,
    pinSealKey: pinSealKey(parts.pinPepper),
    upgradeSecretKey: upgradeSecretKey(parts.pinPepper),
    requestMaxAgeDays: parts.requestMaxAgeDays,
    now: parts.now,
    newId: createSortableIds(parts.now),
    newShortId: createShortSortableIds(parts.now),
    limits: createLimits(parts.rateLimits ?? {}, parts.now),
    work: { pinsOpened: 0, pinProofsTried: 0, activationsRead: 0 },
    alert: (alert) => {
      for (const listener of listeners) listener(alert);
    },
  };
  return {
    publicKey: parts.signer.publicKey,
    dataDir: parts.dataDir,
    databaseKind: parts.store.dialect.name,
    addProduct: (input) => addProduct(ctx, input),
    listProducts: () => listProducts(ctx),
    issuePackage: (spec) => issuePackage(ctx, spec),
    getPackage: (serial) => getPackage(ctx, serial),
    activate: (request, meta) => activate(ctx, request, meta),
    previewRequest: (text, meta) => previewRequest(ctx, text, meta),
    answerRequest: (text, meta) => answerRequest(ctx, text, meta),
    answerRequestCode: (code, owner, meta) => answerRequestCode(ctx, code, owner, meta),
    listActivations: (filter) => listActivations(ctx, filter),
    answerUpgrade: (question, changes, meta) => answerUpgrade(ctx, question, changes, meta),
    previewUpgrade: (question, changes) => previewUpgrade(ctx, question, changes),
    confirmUpgrade: (code) => confirmUpgrade(ctx, code),
    listUpgrades: (filter) => listUpgrades(ctx, filter),
    addToBlacklist: (entry) => addToBlacklist(ctx, entry),
    blacklistFile: () => blacklistFile(ctx),
    signedTime: (nonce) => {
      if (!isTimeNonce(nonce)) invalid('nonce', 'must be 22 to 86 base64url characters (16 to 64 bytes)');
      return signServerTime(parts.signer, ctx.now().getTime(), nonce);
    },
    reportDuplicate: (evidence, meta) => reportDuplicate(ctx, evidence, meta),
    setDuplicatePolicy: (product, policy) => setDuplicatePolicy(ctx, product, policy),
    listHeldDuplicates: (status) => listHeldDuplicates(ctx, status),
    acceptHeldDuplicate: (id) => decideHeldDuplicate(ctx, id, 'accepted'),
    dismissHeldDuplicate: (id) => decideHeldDuplicate(ctx, id, 'dismissed'),
    listTokens: () => listTokens(ctx),
    pinForToken: (serial, publicKey) => pinForToken(ctx, serial, publicKey),
    recordTokenProgramming: (input) => recordTokenProgramming(ctx, input),
    audit: (limit) => listAudit(ctx, limit),
    workCounters: () => ({ ...ctx.work }),
    onAlert: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    verifyAdminToken: (token) => typeof token === 'string' && constantTimeEqual(sha256(token), parts.adminTokenHash),
    ping: async () => {
      await sql`select 1`.execute(ctx.db);
    },
    close: async () => {
      await parts.sealer.close();
      await parts.store.close();
    },
  };
}
