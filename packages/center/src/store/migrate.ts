/** Brings a database to the latest schema with Kysely's migrator and the embedded migrations. */
import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
import * as initial from './migrations/0001_initial.js';
import * as offline from './migrations/0002_offline.js';
import * as containers from './migrations/0003_containers.js';
import * as tokens from './migrations/0004_tokens.js';
import * as blacklistSequence from './migrations/0005_blacklist_sequence.js';
import * as abuse from './migrations/0006_abuse.js';
import * as borrowGrace from './migrations/0007_borrow_grace.js';
import * as activationIndex from './migrations/0008_activation_index.js';
import * as tokenKeyPartial from './migrations/0009_token_key_partial.js';
import type { DB } from './schema.js';

/** The migrations in the order they apply; names are never changed once released. */
export const MIGRATIONS: Record<string, Migration> = {
  '0001_initial': initial,
  '0002_offline': offline,
  '0003_containers': containers,
  '0004_tokens': tokens,
  '0005_blacklist_sequence': blacklistSequence,
  '0006_abuse': abuse,
  '0007_borrow_grace': borrowGrace,
  '0008_activation_index': activationIndex,
  '0009_token_key_partial': tokenKeyPartial,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

/** What happened to one migration in a run. */
export interface MigrationOutcome {
  name: string;
  status: 'Success' | 'Error' | 'NotExecuted';
}

/** Thrown when a migration fails; `outcomes` tells which ran, failed or were skipped. */
export class MigrationFailedError extends Error {
  override readonly name = 'MigrationFailedError';
  constructor(
    readonly outcomes: MigrationOutcome[],
    override readonly cause: unknown,
  ) {
    const failed = outcomes.find((o) => o.status === 'Error')?.name ?? '(before any migration)';
    super(`database migration ${failed} failed: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** Where Kysely keeps its migration tables and which failures are worth another run. */
export interface MigrateOptions {
  /** Schema of Kysely's own migration tables (PostgreSQL with a named schema). */
  schema?: string;
  /** A failure caused by others' schema changes in the same database; the run is repeated. */
  isTransient?: (error: unknown) => boolean;
}

const ATTEMPTS = 5;

async function runOnce(db: Kysely<DB>, schema: string | undefined): Promise<MigrationOutcome[]> {
  const migrator = new Migrator({ db, provider, ...(schema === undefined ? {} : { migrationTableSchema: schema }) });
  const { error, results } = await migrator.migrateToLatest();
  const outcomes = (results ?? []).map((r) => ({ name: r.migrationName, status: r.status }));
  if (error !== undefined) throw new MigrationFailedError(outcomes, error);
  return outcomes;
}

/**
 * Applies every pending migration; returns what ran (empty when already up to date). Each run
 * is safe to repeat: a failed migration is rolled back where the engine has transactional DDL,
 * and the migrator re-reads what was applied.
 */
export async function migrateToLatest(db: Kysely<DB>, options: MigrateOptions = {}): Promise<MigrationOutcome[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await runOnce(db, options.schema);
    } catch (error) {
      const cause = error instanceof MigrationFailedError ? error.cause : error;
      if (attempt >= ATTEMPTS || !options.isTransient?.(cause)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
    }
  }
}
