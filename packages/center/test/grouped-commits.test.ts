/**
 * The SQLite store's grouped commits (`store/sqlite/grouped-commits.ts`), through Kysely as the
 * center uses it, with a third connection of its own watching the file: a transaction is answered
 * only once its group is committed, a rolled-back one leaves the others of its group alone, a
 * failed COMMIT fails every transaction of the group and keeps none, a read outside a transaction
 * never hands over rows that are not committed.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import Database from 'better-sqlite3';
import { type Generated, type Kysely, sql } from 'kysely';
import { sqliteDialect } from '../src/store/sqlite/index.js';

interface TestDB {
  items: { id: Generated<number>; name: string };
  parents: { id: number };
  children: { id: number; parent_id: number };
}

/** A store on a fresh file with three tables, and an independent connection to the same file. */
async function open(t: TestContext): Promise<{ db: Kysely<TestDB>; watcher: Database.Database }> {
  const dir = await mkdtemp(join(tmpdir(), 'lictor-grouped-'));
  const file = join(dir, 'store.db');
  const dialect = sqliteDialect(file);
  const db = dialect.createKysely() as unknown as Kysely<TestDB>;
  const watcher = new Database(file, { readonly: false });
  t.after(async () => {
    watcher.close();
    await db.destroy();
    await dialect.dispose();
    await rm(dir, { recursive: true, force: true });
  });
  await sql`create table items (id integer primary key, name text not null)`.execute(db);
  await sql`create table parents (id integer primary key)`.execute(db);
  await sql`create table children (id integer primary key,
    parent_id integer not null references parents (id) deferrable initially deferred)`.execute(db);
  await db.insertInto('parents').values({ id: 1 }).execute();
  return { db, watcher };
}

/** The names in `items`, as a connection outside the store sees them. */
function committed(watcher: Database.Database): string[] {
  return (watcher.prepare('select name from items order by id').all() as { name: string }[]).map((r) => r.name);
}

test('transactions started together commit together, and none is answered before its rows are committed', async (t) => {
  const { db, watcher } = await open(t);
  const seenAtAnswer: string[][] = [];
  const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
  await Promise.all(
    names.map((name) =>
      db
        .transaction()
        .execute(async (trx) => {
          await trx.insertInto('items').values({ name }).execute();
        })
        .then(() => seenAtAnswer.push(committed(watcher))),
    ),
  );
  // The first answer already saw all eight rows: one COMMIT for the group.
  assert.deepEqual(seenAtAnswer[0], names);
  assert.equal(seenAtAnswer.length, 8);
  for (const seen of seenAtAnswer) assert.deepEqual(seen, names);
});

test('a transaction rolled back in a group takes only its own rows with it', async (t) => {
  const { db, watcher } = await open(t);
  const kept = db.transaction().execute(async (trx) => {
    await trx.insertInto('items').values({ name: 'kept' }).execute();
  });
  const refused = db.transaction().execute(async (trx) => {
    await trx.insertInto('items').values({ name: 'refused' }).execute();
    throw new Error('refused on purpose');
  });
  const controlled = (async () => {
    const trx = await db.startTransaction().execute();
    await trx.insertInto('items').values({ name: 'rolled back' }).execute();
    await trx.rollback().execute();
  })();
  const also = db.transaction().execute(async (trx) => {
    await trx.insertInto('items').values({ name: 'also kept' }).execute();
  });
  await assert.rejects(refused, /refused on purpose/);
  await Promise.all([kept, controlled, also]);
  assert.deepEqual(committed(watcher), ['kept', 'also kept']);
});

test('a COMMIT that fails fails every transaction of its group and keeps none of them; the next group commits', async (t) => {
  const { db, watcher } = await open(t);
  // A deferred foreign key is checked at COMMIT only: the group's COMMIT fails for one member.
  const good = db.transaction().execute(async (trx) => {
    await trx.insertInto('items').values({ name: 'innocent' }).execute();
    await trx.insertInto('children').values({ id: 1, parent_id: 1 }).execute();
  });
  const bad = db.transaction().execute(async (trx) => {
    await trx.insertInto('children').values({ id: 2, parent_id: 99 }).execute();
  });
  const outcomes = await Promise.allSettled([good, bad]);
  for (const outcome of outcomes) {
    assert.equal(outcome.status, 'rejected');
    assert.match(String((outcome as PromiseRejectedResult).reason), /FOREIGN KEY/);
  }
  assert.deepEqual(committed(watcher), []);
  assert.equal((watcher.prepare('select count(*) as n from children').get() as { n: number }).n, 0);

  await db.transaction().execute(async (trx) => {
    await trx.insertInto('items').values({ name: 'after' }).execute();
  });
  assert.deepEqual(committed(watcher), ['after']);
});

test('a read outside a transaction that saw a group still open is answered only once that group is committed', async (t) => {
  const { db, watcher } = await open(t);
  const trx = await db.startTransaction().execute();
  await trx.insertInto('items').values({ name: 'grouped' }).execute();
  const committing = trx.commit().execute();
  const read = await db.selectFrom('items').select('name').execute();
  // Handed over with the group's row, and only once another connection sees it committed.
  assert.deepEqual(
    read.map((r) => r.name),
    ['grouped'],
  );
  assert.deepEqual(committed(watcher), ['grouped']);
  await committing;
});

test('a read outside a transaction that saw a group whose COMMIT fails fails with it', async (t) => {
  const { db, watcher } = await open(t);
  const trx = await db.startTransaction().execute();
  await trx.insertInto('items').values({ name: 'never kept' }).execute();
  await trx.insertInto('children').values({ id: 3, parent_id: 99 }).execute();
  const committing = trx.commit().execute();
  const read = db.selectFrom('items').select('name').execute();
  await assert.rejects(committing, /FOREIGN KEY/);
  await assert.rejects(read, /FOREIGN KEY/);
  assert.deepEqual(committed(watcher), []);
  assert.deepEqual(await db.selectFrom('items').select('name').execute(), []);
});

test('a statement outside a transaction that is not a read commits the open group first', async (t) => {
  const { db, watcher } = await open(t);
  const trx = await db.startTransaction().execute();
  await trx.insertInto('items').values({ name: 'grouped' }).execute();
  const committing = trx.commit().execute();
  // VACUUM cannot run inside a transaction: it succeeds only if the group was committed first.
  await sql`vacuum`.execute(db);
  await committing;
  assert.deepEqual(committed(watcher), ['grouped']);
});
