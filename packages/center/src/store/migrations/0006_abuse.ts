/**
 * The center under abuse and duplicate reports held for review: the product's duplicate policy,
 * the reports waiting for the vendor's decision, and refusals counted per serial, code and
 * time window instead of one audit row each, and each PIN's tag (`pinTag`) so that an offline
 * request finds its PIN by index instead of trying every PIN of the package. Portable: one
 * column per statement on SQLite; tags of existing PINs are filled in by the center on first use.
 */
import { type Kysely, sql } from 'kysely';

/** Adds `products.duplicate_policy`, `pins.pin_tag`, `duplicate_reports` and `refusal_windows`. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('pins').addColumn('pin_tag', 'text').execute();
  await db.schema.createIndex('pins_serial_tag_idx').on('pins').columns(['serial', 'pin_tag']).execute();

  await db.schema
    .alterTable('products')
    .addColumn('duplicate_policy', 'text', (c) => c.notNull().defaultTo(sql`'blacklist'`))
    .execute();

  await db.schema
    .createTable('duplicate_reports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('serial', 'text', (c) => c.notNull())
    .addColumn('pin_idx', 'integer', (c) => c.notNull())
    .addColumn('activations', 'text', (c) => c.notNull())
    .addColumn('instances', 'text', (c) => c.notNull())
    .addColumn('evidence', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reports', 'integer', (c) => c.notNull())
    .addColumn('first_at', 'text', (c) => c.notNull())
    .addColumn('last_at', 'text', (c) => c.notNull())
    .addColumn('client_ip', 'text')
    .addColumn('decided_at', 'text')
    .execute();
  await db.schema
    .createIndex('duplicate_reports_status_idx')
    .on('duplicate_reports')
    .columns(['status', 'serial', 'pin_idx'])
    .execute();

  await db.schema
    .createTable('refusal_windows')
    .addColumn('serial', 'text', (c) => c.notNull())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('window_start', 'text', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('first_at', 'text', (c) => c.notNull())
    .addColumn('last_at', 'text', (c) => c.notNull())
    .addColumn('last_client_ip', 'text')
    .addPrimaryKeyConstraint('refusal_windows_pk', ['serial', 'code', 'channel', 'window_start'])
    .execute();
  await db.schema.createIndex('refusal_windows_start_idx').on('refusal_windows').column('window_start').execute();
}

/** Drops what {@link up} added. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('refusal_windows_start_idx').execute();
  await db.schema.dropTable('refusal_windows').execute();
  await db.schema.dropTable('duplicate_reports').execute();
  await db.schema.alterTable('products').dropColumn('duplicate_policy').execute();
  await db.schema.dropIndex('pins_serial_tag_idx').execute();
  await db.schema.alterTable('pins').dropColumn('pin_tag').execute();
}
