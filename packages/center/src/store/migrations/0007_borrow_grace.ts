/**
 * Terms a vendor sets per package for floating seats: how many days a seat may be borrowed for
 * offline use, and how long a client keeps its seat after losing its License Manager. Both
 * nullable (not set: no borrowing, the manager's lease TTL). Portable: one column per statement.
 */
import type { Kysely } from 'kysely';

/** Adds `packages.borrow_days` and `packages.grace_minutes`. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('packages').addColumn('borrow_days', 'integer').execute();
  await db.schema.alterTable('packages').addColumn('grace_minutes', 'integer').execute();
}

/** Drops what {@link up} added. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('packages').dropColumn('grace_minutes').execute();
  await db.schema.alterTable('packages').dropColumn('borrow_days').execute();
}
