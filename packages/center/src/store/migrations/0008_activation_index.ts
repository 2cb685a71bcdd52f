/**
 * What the PIN rules read, indexed, so that an activation costs the same in a package holding
 * 800 activations as in an empty one:
 *
 * - `packages.active_count`: the package's active activations, kept by the database itself
 *   (triggers on `activations`, whoever writes), for the limit of active PIN codes;
 * - `hardware_marks`: each network adapter, drive, and host name with motherboard of every
 *   active activation bound to hardware (`store/hardware-marks.ts`), for finding the activations
 *   of a changed computer to retire; the center inserts them with the activation, the triggers
 *   delete them when it stops being active;
 * - an index on `activations (serial, license_kind)`, for the lock of combined packages.
 *
 * Existing activations are counted and marked here. The triggers are the one part written per
 * engine (SQLite's trigger bodies, PostgreSQL's PL/pgSQL function, bound to the schema it is
 * created in); the rest is portable.
 */
import { type Kysely, SqliteAdapter, sql } from 'kysely';
import { hardwareMarks } from '../hardware-marks.js';

const BATCH = 500;

function isSqlite(db: Kysely<unknown>): boolean {
  return db.getExecutor().adapter instanceof SqliteAdapter;
}

async function createCountTriggers(db: Kysely<unknown>): Promise<void> {
  if (isSqlite(db)) {
    await sql`
      create trigger activations_count_insert after insert on activations when new.status = 'active'
      begin update packages set active_count = active_count + 1 where serial = new.serial; end`.execute(db);
    await sql`
      create trigger activations_count_delete after delete on activations when old.status = 'active'
      begin
        update packages set active_count = active_count - 1 where serial = old.serial;
        delete from hardware_marks where serial = old.serial and activation_id = old.id;
      end`.execute(db);
    await sql`
      create trigger activations_count_update after update of status on activations
      when (old.status = 'active') <> (new.status = 'active')
      begin
        update packages set active_count = active_count + (case when new.status = 'active' then 1 else -1 end)
        where serial = new.serial;
        delete from hardware_marks where serial = old.serial and activation_id = old.id and new.status <> 'active';
      end`.execute(db);
    return;
  }
  await sql`
    create or replace function activations_count() returns trigger language plpgsql
    set search_path from current as $$
    begin
      if tg_op = 'UPDATE' and (old.status = 'active') = (new.status = 'active') then
        return null;
      end if;
      if tg_op in ('UPDATE', 'DELETE') and old.status = 'active' then
        update packages set active_count = active_count - 1 where serial = old.serial;
        delete from hardware_marks where serial = old.serial and activation_id = old.id;
      end if;
      if tg_op in ('INSERT', 'UPDATE') and new.status = 'active' then
        update packages set active_count = active_count + 1 where serial = new.serial;
      end if;
      return null;
    end $$`.execute(db);
  await sql`
    create trigger activations_count after insert or delete or update of status on activations
    for each row execute function activations_count()`.execute(db);
}

/** Marks every active activation bound to hardware that is already stored. */
async function markExisting(db: Kysely<unknown>): Promise<void> {
  let after = '';
  for (;;) {
    const rows = await sql<{ id: string; serial: string; hardware: string }>`
      select id, serial, hardware from activations
      where id > ${after} and status = 'active' and token_key is null and hardware <> 'null'
      order by id limit ${BATCH}`.execute(db);
    if (rows.rows.length === 0) return;
    const marks = rows.rows.flatMap((r) =>
      hardwareMarks(JSON.parse(r.hardware)).map((mark) => ({ serial: r.serial, mark, activation_id: r.id })),
    );
    for (let i = 0; i < marks.length; i += BATCH) {
      const values = marks.slice(i, i + BATCH).map((m) => sql`(${m.serial}, ${m.mark}, ${m.activation_id})`);
      await sql`insert into hardware_marks (serial, mark, activation_id) values ${sql.join(values)}`.execute(db);
    }
    after = (rows.rows.at(-1) as { id: string }).id;
  }
}

/** Adds `packages.active_count` with its triggers, `hardware_marks` and the index of license kinds. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('packages')
    .addColumn('active_count', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`
    update packages set active_count =
      (select count(*) from activations where activations.serial = packages.serial and activations.status = 'active')
  `.execute(db);

  // SQLite keeps the rows in the primary key's order (WITHOUT ROWID): one b-tree, not two.
  await db.schema
    .createTable('hardware_marks')
    .addColumn('serial', 'text', (c) => c.notNull())
    .addColumn('mark', 'text', (c) => c.notNull())
    .addColumn('activation_id', 'text', (c) => c.notNull().references('activations.id'))
    .addPrimaryKeyConstraint('hardware_marks_pk', ['serial', 'mark', 'activation_id'])
    .$call((table) => (isSqlite(db) ? table.modifyEnd(sql`without rowid`) : table))
    .execute();
  await markExisting(db);
  await createCountTriggers(db);

  await db.schema.createIndex('activations_kind_idx').on('activations').columns(['serial', 'license_kind']).execute();
}

/** Drops what {@link up} added. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('activations_kind_idx').execute();
  await db.schema.dropTable('hardware_marks').execute();
  if (isSqlite(db)) {
    for (const name of ['activations_count_insert', 'activations_count_delete', 'activations_count_update']) {
      await sql`drop trigger ${sql.id(name)}`.execute(db);
    }
  } else {
    await sql`drop trigger activations_count on activations`.execute(db);
    await sql`drop function activations_count()`.execute(db);
  }
  await db.schema.alterTable('packages').dropColumn('active_count').execute();
}
