/**
 * Queries built and compiled by Kysely once per store and shape, then run with new values. On
 * SQLite, building and compiling a query costs more CPU than running it (measured on the
 * activation path: Kysely's builder and compiler were about a quarter of an activation's CPU), so
 * the hot path of an activation runs through these. The SQL is still Kysely's for the engine in
 * use: nothing here knows which engine runs.
 *
 * A query is built with placeholders for its values (`param('hash')`); compiling it records
 * which of the compiled parameters each placeholder became. Queries whose text depends on more
 * than values (a list's length, a lock) name that as their shape.
 */
import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';
import type { StoreDialect } from './dialect.js';
import type { DB } from './schema.js';

const PLACEHOLDER = '\u0000lictor-param:';

/** Stands for the value of parameter `name` while the query is built. */
export type Param<P> = <K extends keyof P & string>(name: K) => P[K];

interface Compiled<R> {
  query: CompiledQuery<R>;
  /** For each compiled parameter, the parameter name it takes its value from, or `null` (a constant). */
  slots: (string | null)[];
}

/** A query with named parameters, compiled once per store and shape. */
export class PreparedQuery<P extends object, R, S extends string | number = string> {
  readonly #build: (db: Kysely<DB>, param: Param<P>, shape: S, dialect: StoreDialect) => Compilable<R>;
  readonly #compiled = new WeakMap<StoreDialect, Map<S, Compiled<R>>>();

  constructor(build: (db: Kysely<DB>, param: Param<P>, shape: S, dialect: StoreDialect) => Compilable<R>) {
    this.#build = build;
  }

  #compile(dialect: StoreDialect, db: Kysely<DB>, shape: S): Compiled<R> {
    let byShape = this.#compiled.get(dialect);
    if (byShape === undefined) {
      byShape = new Map();
      this.#compiled.set(dialect, byShape);
    }
    let compiled = byShape.get(shape);
    if (compiled === undefined) {
      const placeholder = ((name: string) => `${PLACEHOLDER}${name}`) as Param<P>;
      const query = this.#build(db, placeholder, shape, dialect).compile();
      const slots = query.parameters.map((value) =>
        typeof value === 'string' && value.startsWith(PLACEHOLDER) ? value.slice(PLACEHOLDER.length) : null,
      );
      compiled = { query, slots };
      byShape.set(shape, compiled);
    }
    return compiled;
  }

  /** Runs the query on `db` (the store's Kysely instance or one of its transactions). */
  execute(dialect: StoreDialect, db: Kysely<DB>, params: P, shape: S = '' as S): Promise<QueryResult<R>> {
    const { query, slots } = this.#compile(dialect, db, shape);
    const parameters = slots.map((slot, i) => {
      if (slot === null) return query.parameters[i];
      const value = (params as Record<string, unknown>)[slot];
      if (value === undefined) throw new Error(`prepared query: no value for parameter ${slot}`);
      return value;
    });
    return db.executeQuery<R>({ ...query, parameters });
  }
}

/**
 * A prepared query with parameters `P` (given) and rows and shapes inferred from `build`:
 * `prepare<{ serial: string }>()((db, param) => db.selectFrom('packages').selectAll().where('serial', '=', param('serial')))`.
 */
export function prepare<P extends object>() {
  return <R, S extends string | number = string>(
    build: (db: Kysely<DB>, param: Param<P>, shape: S, dialect: StoreDialect) => Compilable<R>,
  ): PreparedQuery<P, R, S> => new PreparedQuery<P, R, S>(build);
}
