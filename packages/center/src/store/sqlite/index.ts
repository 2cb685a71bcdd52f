/** SQLite through better-sqlite3: one connection, WAL, every transaction `BEGIN IMMEDIATE`. */
import Database from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
  type SqliteStatement,
} from 'kysely';
import type { StoreDialect } from '../dialect.js';
import type { DB } from '../schema.js';
import { type Checkpointer, startCheckpointer } from './checkpointer.js';

/** Prepared statements kept per connection; the hot paths use a handful. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * Starts every transaction with `BEGIN IMMEDIATE`: the write lock is taken at once, so another
 * process writing the same file (the CLI next to a running server) waits for `busy_timeout`
 * instead of failing on a read-to-write lock upgrade. Within this process Kysely's single
 * connection already serializes transactions.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
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
function withStatementCache(db: Database.Database): SqliteDialectConfig['database'] {
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
    close: () => db.close(),
  };
}

/** The SQLite dialect for a database file (created when missing); serves one Kysely instance. */
export function sqliteDialect(file: string): StoreDialect {
  let checkpointer: Checkpointer | undefined;
  return {
    name: 'sqlite',
    createKysely: () => {
      const database = withStatementCache(openDatabase(file));
      checkpointer = startCheckpointer(file);
      return new Kysely<DB>({ dialect: new ImmediateSqliteDialect({ database }) });
    },
    prepare: async () => {},
    dispose: async () => {
      await checkpointer?.stop();
      checkpointer = undefined;
    },
    // The transaction began IMMEDIATE and holds the only connection: nothing else can write.
    lockRows: (query) => query,
    holdRows: async () => {},
    isTransientMigrationError: () => false,
    isUniqueViolation: (error) =>
      error instanceof Error &&
      'code' in error &&
      (error.code === 'SQLITE_CONSTRAINT_UNIQUE' || error.code === 'SQLITE_CONSTRAINT_PRIMARYKEY'),
  };
}
