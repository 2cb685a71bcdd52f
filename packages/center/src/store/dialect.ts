/**
 * What differs between database engines, in one small interface. Everything above the store
 * uses Kysely through this and never learns which engine runs.
 */
import type { Kysely, Selectable, SelectQueryBuilder } from 'kysely';
import type { DB, PackagesTable } from './schema.js';

/** Where the License Center keeps its data. */
export type DatabaseConfig = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string; schema?: string };

/** A package row as read from the database. */
export type PackageRow = Selectable<PackagesTable>;

/** The engine-specific part of the store. */
export interface StoreDialect {
  readonly name: 'sqlite' | 'postgres';
  /**
   * Schema holding Kysely's migration tables, when the tables live in a named schema. Without
   * it the migrator would take another schema's migration table for its own.
   */
  readonly migrationSchema?: string;
  /** Creates the one Kysely instance (and its connection or pool) of an open center. */
  createKysely(): Kysely<DB>;
  /** Engine-specific setup before migrations run (e.g. creating the PostgreSQL schema). */
  prepare(db: Kysely<DB>): Promise<void>;
  /** Releases what the dialect runs beside the Kysely instance, after `destroy()`. */
  dispose(): Promise<void>;
  /**
   * Makes a select inside a transaction hold the rows it reads from `table` against concurrent
   * writers until the transaction ends, so that checks and inserts depending on them (activation
   * limits) cannot interleave. PostgreSQL: `FOR UPDATE OF table`; SQLite: nothing, as every
   * transaction there is `BEGIN IMMEDIATE` on the one connection.
   */
  lockRows<TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>, table: TB): SelectQueryBuilder<DB, TB, O>;
  /**
   * Holds the rows `query()` selects from `table` until the transaction ends, with a statement of
   * its own, before the transaction reads what depends on them. PostgreSQL: `FOR UPDATE OF
   * table`, alone, because under READ COMMITTED each statement reads from its own snapshot: the
   * statements after it see what the previous holder committed, where subqueries of the locking
   * statement itself would still see the snapshot from before the wait. SQLite: nothing, as
   * every transaction there is `BEGIN IMMEDIATE` on the one connection.
   */
  holdRows<TB extends keyof DB, O>(query: () => SelectQueryBuilder<DB, TB, O>, table: TB): Promise<void>;
  /**
   * Tells whether a failed migration run may succeed when repeated: the run was disturbed by
   * schema changes of others in the same database.
   */
  isTransientMigrationError(error: unknown): boolean;
  /** Tells whether an error is the engine's unique or primary key violation. */
  isUniqueViolation(error: unknown): boolean;
}
