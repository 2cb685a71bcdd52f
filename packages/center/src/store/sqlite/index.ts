/**
 * SQLite through better-sqlite3: one connection, WAL, the transactions of one turn of the event
 * loop grouped under one `BEGIN IMMEDIATE` and one `COMMIT` (`grouped-commits.ts`).
 */
import Database from 'better-sqlite3';
import { type Driver, Kysely, SqliteDialect, type SqliteStatement } from 'kysely';
import type { StoreDialect } from '../dialect.js';
import type { DB } from '../schema.js';
import { type Checkpointer, startCheckpointer } from './checkpointer.js';
import { GroupedCommitsDriver, type GroupedCommitsOptions, type Statements } from './grouped-commits.js';

/** Prepared statements kept per connection; the hot paths use a handful. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely's SQLite dialect (its query compiler, adapter and introspector) with the grouped-commits
 * driver. Every group starts with `BEGIN IMMEDIATE`: the write lock is taken at once, so another
 * process writing the same file (the CLI next to a running server) waits for `busy_timeout`
 * instead of failing on a read-to-write lock upgrade.
 */
class GroupedCommitsSqliteDialect extends SqliteDialect {
  readonly #options: GroupedCommitsOptions;
  constructor(options: GroupedCommitsOptions) {
    // Kysely's own driver is never created; its dialect wants a database to hold.
    super({ database: { prepare: options.statements.prepare, close: () => options.db.close() } });
    this.#options = options;
  }
  override createDriver(): Driver {
    return new GroupedCommitsDriver(this.#options);
  }
}

/** Opens a better-sqlite3 database with the pragmas the License Center relies on. */
function openDatabase(file: string): Database.Database {
  const db = new Database(file, { timeout: 5000 });
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  return db;
}

/**
 * Kysely prepares each query text anew; reusing prepared statements saves most of that cost.
 * Statements run synchronously to completion, so sharing one is safe. The oldest entry is
 * dropped when the cache is full (texts vary with the number of inserted rows).
 */
function withStatementCache(db: Database.Database): Statements {
  const statements = new Map<string, SqliteStatement>();
  return {
    prepare(sql: string): SqliteStatement {
      let statement = statements.get(sql);
      if (statement === undefined) {
        statement = db.prepare(sql);
        if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value ?? '');
        statements.set(sql, statement);
      }
      return statement;
    },
  };
}

/** The SQLite dialect for a database file (created when missing); serves one Kysely instance. */
export function sqliteDialect(file: string): StoreDialect {
  let checkpointer: Checkpointer | undefined;
  return {
    name: 'sqlite',
    createKysely: () => {
      const db = openDatabase(file);
      checkpointer = startCheckpointer(file);
      const dialect = new GroupedCommitsSqliteDialect({ db, statements: withStatementCache(db) });
      return new Kysely<DB>({ dialect });
    },
    prepare: async () => {},
    dispose: async () => {
      await checkpointer?.stop();
      checkpointer = undefined;
    },
    // The transaction's group began IMMEDIATE and holds the only connection: nothing else can write.
    lockRows: (query) => query,
    holdRows: async () => {},
    isTransientMigrationError: () => false,
    isUniqueViolation: (error) =>
      error instanceof Error &&
      'code' in error &&
      (error.code === 'SQLITE_CONSTRAINT_UNIQUE' || error.code === 'SQLITE_CONSTRAINT_PRIMARYKEY'),
  };
}
