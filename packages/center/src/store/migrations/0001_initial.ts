/** The first schema of the License Center: products, packages, PINs, activations, blacklist, audit. */
import type { Kysely } from 'kysely';

/** Creates every table and index. Types and constraints are portable between SQLite and PostgreSQL. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('products')
    .addColumn('code', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('required_owner_fields', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('features')
    .addColumn('product_code', 'text', (c) => c.notNull().references('products.code'))
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('features_pk', ['product_code', 'code'])
    .execute();

  await db.schema
    .createTable('packages')
    .addColumn('serial', 'text', (c) => c.primaryKey())
    .addColumn('product_code', 'text', (c) => c.notNull().references('products.code'))
    .addColumn('license_type', 'text', (c) => c.notNull())
    .addColumn('users', 'integer', (c) => c.notNull())
    .addColumn('sessions', 'integer')
    .addColumn('arch', 'text')
    .addColumn('features', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text')
    .addColumn('duration_days', 'integer')
    .addColumn('pin_count', 'integer', (c) => c.notNull())
    .addColumn('max_active', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('packages_product_idx').on('packages').column('product_code').execute();

  await db.schema
    .createTable('pins')
    .addColumn('serial', 'text', (c) => c.notNull().references('packages.serial'))
    .addColumn('idx', 'integer', (c) => c.notNull())
    .addColumn('pin_hash', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('pins_pk', ['serial', 'idx'])
    .execute();

  await db.schema
    .createTable('activations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('serial', 'text', (c) => c.notNull().references('packages.serial'))
    .addColumn('pin_idx', 'integer', (c) => c.notNull())
    .addColumn('container_id', 'text', (c) => c.notNull())
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('owner_key', 'text', (c) => c.notNull())
    .addColumn('hardware', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('license_kind', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('retired_at', 'text')
    .addColumn('retired_reason', 'text')
    .addColumn('client_ip', 'text')
    .addForeignKeyConstraint('activations_pin_fk', ['serial', 'pin_idx'], 'pins', ['serial', 'idx'])
    .execute();
  // A PIN is activated at most once; this is the backstop behind the package lock.
  await db.schema
    .createIndex('activations_pin_idx')
    .on('activations')
    .columns(['serial', 'pin_idx'])
    .unique()
    .execute();

  await db.schema
    .createTable('blacklist')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('serial', 'text', (c) => c.references('packages.serial'))
    .addColumn('activation_id', 'text', (c) => c.references('activations.id'))
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('blacklist_serial_idx').on('blacklist').column('serial').execute();
  await db.schema.createIndex('blacklist_activation_idx').on('blacklist').column('activation_id').execute();

  await db.schema
    .createTable('audit_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('details', 'text', (c) => c.notNull())
    .execute();
}

/** Drops everything {@link up} created, dependents first. */
export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['audit_events', 'blacklist', 'activations', 'pins', 'packages', 'features', 'products']) {
    await db.schema.dropTable(table).execute();
  }
}
