/** The store: migrations and the constraints behind the activation rules, on every engine. */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import type { HardwareParams, Owner } from '@lictor/protocol';
import { sql } from 'kysely';
import { toJson } from '../src/store/json-column.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { createDialect, migrateOptions, openStore } from '../src/store/open.js';
import { ENGINES, type Engine, withCenter } from './helpers.js';

type Dialect = Awaited<ReturnType<typeof createDialect>>;

/**
 * Runs `body` on a fresh, empty database of `engine` (prepared, not migrated), closed and dropped
 * afterwards; skips the test where the engine cannot run.
 */
async function withFreshDatabase(
  t: TestContext,
  engine: Engine,
  body: (db: ReturnType<Dialect['createKysely']>, dialect: Dialect) => Promise<void>,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'lictor-store-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const fresh = await engine.create(dir);
  if ('skip' in fresh) return t.skip(fresh.skip);
  t.after(() => fresh.drop());
  const dialect = await createDialect(fresh.config);
  const db = dialect.createKysely();
  try {
    await dialect.prepare(db);
    await body(db, dialect);
  } finally {
    await db.destroy();
    await dialect.dispose();
  }
}

for (const engine of ENGINES) {
  describe(`store (${engine.name})`, { concurrency: true }, () => {
    test('migrations report each result and are idempotent', async (t) => {
      await withFreshDatabase(t, engine, async (db, dialect) => {
        assert.equal(dialect.name, engine.name);
        assert.deepEqual(await migrateToLatest(db, migrateOptions(dialect)), [
          { name: '0001_initial', status: 'Success' },
          { name: '0002_offline', status: 'Success' },
          { name: '0003_containers', status: 'Success' },
          { name: '0004_tokens', status: 'Success' },
          { name: '0005_blacklist_sequence', status: 'Success' },
          { name: '0006_abuse', status: 'Success' },
          { name: '0007_borrow_grace', status: 'Success' },
          { name: '0008_activation_index', status: 'Success' },
          { name: '0009_token_key_partial', status: 'Success' },
        ]);
        assert.deepEqual(await migrateToLatest(db, migrateOptions(dialect)), []);
        for (const table of [
          'products',
          'features',
          'hardware_marks',
          'packages',
          'pins',
          'activations',
          'blacklist',
          'audit_events',
          'tokens',
          'counters',
          'duplicate_reports',
          'refusal_windows',
        ]) {
          await sql`select count(*) from ${sql.table(table)}`.execute(db);
        }
      });
    });

    test('the token_key index holds only token-bound activations, and serves the lookup by key', async (t) => {
      await withFreshDatabase(t, engine, async (db, dialect) => {
        await migrateToLatest(db, migrateOptions(dialect));
        if (engine.name === 'sqlite') {
          const { rows } = await sql<{ sql: string }>`
            select sql from sqlite_master where name = 'activations_token_key_idx'`.execute(db);
          assert.match(rows[0]?.sql ?? '', /where "token_key" is not null$/i);
          const plan = await sql<{ detail: string }>`
            explain query plan select id from activations where token_key = ${'k'}`.execute(db);
          assert.match(plan.rows.map((r) => r.detail).join('\n'), /USING INDEX activations_token_key_idx/);
        } else {
          const { rows } = await sql<{ indexdef: string }>`
            select indexdef from pg_indexes
            where indexname = 'activations_token_key_idx' and schemaname = current_schema()`.execute(db);
          assert.match(rows[0]?.indexdef ?? '', /WHERE \(token_key IS NOT NULL\)$/);
        }
      });
    });

    test('a PIN can hold only one activation, even past the application checks', async (t) => {
      await withCenter(t, engine, async ({ config, center }) => {
        await center.addProduct({ code: 'app', name: 'App' });
        const pkg = await center.issuePackage({ product: 'app', type: 'single' });
        const store = await openStore(config);
        try {
          const row = {
            serial: pkg.serial,
            pin_idx: 1,
            container_id: 'c',
            owner: toJson({} as Owner),
            owner_key: '',
            hardware: toJson({} as HardwareParams),
            status: 'active' as const,
            license_kind: 'single',
            created_at: 'x',
            updated_at: 'x',
            retired_at: null,
            retired_reason: null,
            client_ip: null,
            subject: null,
            channel: 'online' as const,
            request_nonce: null,
          };
          await store.db
            .insertInto('activations')
            .values({ ...row, id: 'a1' })
            .execute();
          let error: unknown;
          try {
            await store.db
              .insertInto('activations')
              .values({ ...row, id: 'a2' })
              .execute();
          } catch (e) {
            error = e;
          }
          assert.ok(store.dialect.isUniqueViolation(error), `expected a unique violation, got ${String(error)}`);
        } finally {
          await store.close();
        }
      });
    });
  });
}

describe('store (postgres, shared database)', () => {
  test('migrations ignore other schemas, even while they are created and dropped', async (t) => {
    const postgres = ENGINES.find((e) => e.name === 'postgres');
    assert.ok(postgres);
    const dir = await mkdtemp(join(tmpdir(), 'lictor-store-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const neighbours = [];
    for (let i = 0; i < 6; i++) {
      const fresh = await postgres.create(dir);
      if ('skip' in fresh) return t.skip(fresh.skip);
      neighbours.push(fresh);
    }
    // Each neighbour migrates and is dropped while the others migrate: the churn that made
    // Kysely's database-wide introspection fail with undefined table, column or schema.
    await Promise.all(
      neighbours.map(async (fresh) => {
        const store = await openStore(fresh.config);
        const tables = await store.db.introspection.getTables();
        await store.close();
        await fresh.drop();
        assert.deepEqual(tables.map((table) => table.name).sort(), [
          'activations',
          'audit_events',
          'blacklist',
          'counters',
          'duplicate_reports',
          'features',
          'hardware_marks',
          'packages',
          'pins',
          'products',
          'refusal_windows',
          'tokens',
          'upgrades',
        ]);
        assert.ok(tables.every((table) => table.schema === (fresh.config.kind === 'postgres' && fresh.config.schema)));
      }),
    );
  });
});
