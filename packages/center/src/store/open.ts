/** Opens the configured database, migrated to the latest schema. */
import { join } from 'node:path';
import { LictorError } from '@lictor/protocol';
import type { Kysely } from 'kysely';
import type { DatabaseConfig, StoreDialect } from './dialect.js';
import { type MigrateOptions, migrateToLatest } from './migrate.js';
import type { DB } from './schema.js';

/** An open database: the query builder, what differs per engine, and how to close it. */
export interface Store {
  readonly db: Kysely<DB>;
  readonly dialect: StoreDialect;
  close(): Promise<void>;
}

/** The SQLite file of a data directory when no database is configured. */
export const DEFAULT_DATABASE_FILE = 'center.db';

/**
 * The database a center uses: `LICTOR_DATABASE_URL=postgres://…` selects PostgreSQL, otherwise
 * (unset or empty) the SQLite file `center.db` inside the data directory.
 */
export function databaseConfigFromEnv(dataDir: string, env: NodeJS.ProcessEnv = process.env): DatabaseConfig {
  const url = env.LICTOR_DATABASE_URL;
  if (url === undefined || url === '') return { kind: 'sqlite', file: join(dataDir, DEFAULT_DATABASE_FILE) };
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw new LictorError(
      'LICTOR_E_INVALID_INPUT',
      'LICTOR_DATABASE_URL must be a postgres:// or postgresql:// URL; unset it to use SQLite in the data directory',
      { field: 'LICTOR_DATABASE_URL' },
    );
  }
  return { kind: 'postgres', url };
}

/**
 * The dialect for a database configuration. Only the engine in use is loaded: a center on SQLite
 * never loads `pg`, one on PostgreSQL never loads the native `better-sqlite3`.
 */
export async function createDialect(config: DatabaseConfig): Promise<StoreDialect> {
  if (config.kind === 'sqlite') {
    const { sqliteDialect } = await import('./sqlite/index.js');
    return sqliteDialect(config.file);
  }
  const { postgresDialect } = await import('./postgres/index.js');
  return postgresDialect(
    config.schema === undefined ? { url: config.url } : { url: config.url, schema: config.schema },
  );
}

/** How the migrator runs on a dialect. */
export function migrateOptions(dialect: StoreDialect): MigrateOptions {
  return {
    ...(dialect.migrationSchema === undefined ? {} : { schema: dialect.migrationSchema }),
    isTransient: (error) => dialect.isTransientMigrationError(error),
  };
}

/** Opens the database and applies pending migrations; closes it again if that fails. */
export async function openStore(config: DatabaseConfig): Promise<Store> {
  const dialect = await createDialect(config);
  const db = dialect.createKysely();
  try {
    await dialect.prepare(db);
    await migrateToLatest(db, migrateOptions(dialect));
  } catch (error) {
    await db.destroy();
    await dialect.dispose();
    throw error;
  }
  return {
    db,
    dialect,
    close: async () => {
      await db.destroy();
      await dialect.dispose();
    },
  };
}
