/** The data directory: initialization, file modes, refusing to re-initialize, opening. */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { LictorError, sha256, toHex } from '@lictor/protocol';
import { databaseConfigFromEnv, initCenter, openCenter } from '../src/index.js';
import { addApp, computer, OWNER } from './helpers.js';

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lictor-data-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function mode(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

describe('center data directory', { concurrency: true }, () => {
  test('init writes the keys 0600, the token only hashed, and a migrated database', async (t) => {
    const dir = join(await tempDir(t), 'center');
    const result = await initCenter(dir, { env: {} });
    assert.equal(result.dataDir, dir);
    assert.match(result.publicKey, /^lictor-ed25519:[A-Za-z0-9_-]{43}$/);
    assert.equal(await mode(dir), 0o700);
    assert.equal(await mode(result.files.privateKey), 0o600);
    assert.equal(await mode(result.files.pinPepper), 0o600);
    assert.equal(await mode(result.files.config), 0o600);
    assert.match(await readFile(result.files.privateKey, 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
    assert.equal((await readFile(result.files.pinPepper)).length, 32);
    assert.equal((await readFile(result.files.publicKey, 'utf8')).trim(), result.publicKey);
    assert.equal(result.files.database, join(dir, 'center.db'));
    await stat(join(dir, 'center.db'));

    const config = await readFile(result.files.config, 'utf8');
    assert.ok(!config.includes(result.adminToken), 'the admin token is stored in clear');
    assert.equal(JSON.parse(config).adminTokenHash, toHex(sha256(result.adminToken)));
  });

  test('init refuses a directory that already holds a center and keeps its keys', async (t) => {
    const dir = await tempDir(t);
    const first = await initCenter(dir, { env: {} });
    const key = await readFile(first.files.privateKey, 'utf8');
    await assert.rejects(initCenter(dir, { env: {} }), (error) => {
      assert.ok(error instanceof LictorError);
      assert.equal(error.code, 'LICTOR_E_CENTER_EXISTS');
      return true;
    });
    assert.equal(await readFile(first.files.privateKey, 'utf8'), key);
  });

  test('open on an empty directory says how to initialize it', async (t) => {
    const dir = await tempDir(t);
    await assert.rejects(openCenter(dir, { env: {} }), (error) => {
      assert.ok(error instanceof LictorError);
      assert.equal(error.code, 'LICTOR_E_CENTER_NOT_INITIALIZED');
      assert.match(error.message, new RegExp(`lictor center init --data ${dir}`));
      return true;
    });
  });

  test('open loads the keys and the admin token check; centers share nothing', async (t) => {
    const dir = await tempDir(t);
    const init = await initCenter(dir, { env: {} });
    const center = await openCenter(dir, { env: {}, signing: 'inline' });
    try {
      assert.equal(center.publicKey.text, init.publicKey);
      assert.equal(center.dataDir, dir);
      assert.equal(center.databaseKind, 'sqlite');
      assert.equal(center.verifyAdminToken(init.adminToken), true);
      assert.equal(center.verifyAdminToken(`${init.adminToken}x`), false);
      assert.equal(center.verifyAdminToken(''), false);
      await addApp(center);
      const pkg = await center.issuePackage({ product: 'app', type: 'single' });
      const res = await center.activate({
        serial: pkg.serial,
        pin: pkg.pins[0]!.pin,
        owner: OWNER,
        hardware: computer(1),
      });
      assert.equal(res.reactivated, false);
    } finally {
      await center.close();
    }
    const reopened = await openCenter(dir, { env: {} });
    try {
      assert.equal((await reopened.listProducts()).length, 1, 'data survives a reopen');
    } finally {
      await reopened.close();
    }
  });

  test('LICTOR_DATABASE_URL selects PostgreSQL, otherwise SQLite in the data directory', () => {
    assert.deepEqual(databaseConfigFromEnv('/data', {}), { kind: 'sqlite', file: join('/data', 'center.db') });
    assert.deepEqual(databaseConfigFromEnv('/data', { LICTOR_DATABASE_URL: 'postgres://db/lictor' }), {
      kind: 'postgres',
      url: 'postgres://db/lictor',
    });
    assert.deepEqual(databaseConfigFromEnv('/data', { LICTOR_DATABASE_URL: 'postgresql://db/lictor' }), {
      kind: 'postgres',
      url: 'postgresql://db/lictor',
    });
    assert.throws(() => databaseConfigFromEnv('/data', { LICTOR_DATABASE_URL: 'mysql://db/x' }), {
      code: 'LICTOR_E_INVALID_INPUT',
    });
  });
});
