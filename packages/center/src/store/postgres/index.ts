/** PostgreSQL through a pg pool; an optional schema isolates one center (or one test run). */

import { userInfo } from 'node:os';
import { LictorError } from '@lictor/protocol';
import { type DatabaseIntrospector, Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { StoreDialect } from '../dialect.js';
import type { DB } from '../schema.js';
import { CurrentSchemaIntrospector } from './introspector.js';

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Options of the PostgreSQL store. */
export interface PostgresOptions {
  url: string;
  /** Schema to keep the tables in (created when missing); `search_path` is set to it. */
  schema?: string;
}

/**
 * Like libpq (psql), a URL without a user name connects as the operating system user; node-pg
 * only falls back to `PGUSER`/`USER`, which services and containers often lack.
 */
function withDefaultUser(url: string): string {
  if (process.env.PGUSER || process.env.USER) return url;
  try {
    const parsed = new URL(url);
    if (parsed.username !== '' || parsed.host === '') return url;
    parsed.username = encodeURIComponent(userInfo().username);
    return parsed.toString();
  } catch {
    return url;
  }
}

function createPool({ url, schema }: PostgresOptions): pg.Pool {
  const base = { connectionString: withDefaultUser(url) };
  if (schema === undefined) return new pg.Pool(base);
  if (!SCHEMA_NAME.test(schema)) {
    throw new LictorError(
      'LICTOR_E_INVALID_INPUT',
      `PostgreSQL schema name '${schema}' must be letters, digits and '_' (at most 63, not starting with a digit)`,
    );
  }
  return new pg.Pool({ ...base, options: `-c search_path="${schema}"` });
}

/** Kysely's PostgreSQL dialect with an introspector that stays in the center's own schema. */
class SchemaScopedPostgresDialect extends PostgresDialect {
  override createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new CurrentSchemaIntrospector(db);
  }
}

/** The PostgreSQL dialect. */
export function postgresDialect(options: PostgresOptions): StoreDialect {
  return {
    name: 'postgres',
    ...(options.schema === undefined ? {} : { migrationSchema: options.schema }),
    createKysely: () => new Kysely<DB>({ dialect: new SchemaScopedPostgresDialect({ pool: createPool(options) }) }),
    prepare: async (db) => {
      if (options.schema !== undefined) await sql`create schema if not exists ${sql.id(options.schema)}`.execute(db);
    },
    dispose: async () => {},
    lockRows: (query, table) => query.forUpdate(table),
    holdRows: async (query, table) => {
      await query().forUpdate(table).execute();
    },
    // Two centers creating the same schema or migration table at once: one loses the race on
    // the catalog's unique index (23505) or finds the table just made (42P07); a rerun sees it.
    isTransientMigrationError: (error) =>
      error instanceof Error && 'code' in error && (error.code === '23505' || error.code === '42P07'),
    isUniqueViolation: (error) => error instanceof Error && 'code' in error && error.code === '23505',
  };
}
