/**
 * `lictor center serve` on SQLite killed (SIGKILL, four times) while it answers activations from
 * 16 connections loses none it answered: every 201 it sent names an activation that its database
 * holds after a restart (the store's grouped commits answer a transaction only after its group's
 * COMMIT), and the restarted center goes on activating.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateContainerKeys } from '@lictor/protocol';
import { computer, OWNER } from '../../center/test/helpers.js';
import { type BinSession, binSession } from './bin.js';

let root: string;
let session: BinSession;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'lictor-center-crash-'));
  session = binSession({ PATH: process.env.PATH, HOME: join(root, 'home') });
});

after(async () => {
  session.killAll();
  await rm(root, { recursive: true, force: true });
});

/** An activation request of computer `i` for `pin`. */
function request(serial: string, pin: string, i: number): string {
  return JSON.stringify({
    serial,
    pin,
    owner: OWNER,
    hardware: computer(i),
    containerKeys: generateContainerKeys().public,
  });
}

async function activate(url: string, body: string): Promise<Response> {
  return fetch(`${url}/v1/activations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
}

test('a center killed under concurrent activations keeps every activation it answered', {
  timeout: 120_000,
}, async () => {
  const data = join(root, 'center');
  const { adminToken } = JSON.parse(await session.run('center', 'init', '--data', data, '--json')) as {
    adminToken: string;
  };
  await session.run('center', 'product', 'add', 'ERP', '--name', 'ERP', '--data', data);
  const pins = 800;
  const { serial, pins: issued } = JSON.parse(
    await session.run(
      'center',
      'issue',
      '--product',
      'ERP',
      '--type',
      'single',
      '--pins',
      String(pins),
      '--max-active',
      String(pins),
      '--json',
      '--data',
      data,
    ),
  ) as { serial: string; pins: { pin: string }[] };
  const serve = () =>
    session.serve(
      'center',
      'serve',
      '--data',
      data,
      '--port',
      '0',
      '--client-rate-limit',
      '0',
      '--serial-rate-limit',
      '0',
      '--log-level',
      'warn',
    );

  // Four times: killed while requests of every connection are in flight, after 40 more were answered.
  const answered: string[] = [];
  let next = 0;
  for (let round = 0; round < 4; round++) {
    const server = await serve();
    const exited = new Promise<void>((resolve) => server.child.once('exit', () => resolve()));
    const goal = answered.length + 40;
    let killed = false;
    const loop = async () => {
      while (!killed && next < pins - 1) {
        const i = next++;
        let res: Response;
        try {
          res = await activate(server.url, request(serial, issued[i]?.pin as string, i));
        } catch {
          return; // the center is gone
        }
        if (res.status !== 201) assert.fail(`activation ${i}: ${res.status} ${await res.text()}`);
        const { activationId } = (await res.json()) as { activationId: string };
        answered.push(activationId);
        if (answered.length >= goal && !killed) {
          killed = true;
          server.child.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, loop));
    await exited;
    assert.ok(killed, `round ${round}: the center was not killed (${answered.length} activations answered)`);
  }

  const second = await serve();
  const listed = await fetch(`${second.url}/v1/admin/activations?serial=${serial}&limit=1000`, {
    headers: { authorization: `Bearer ${adminToken}` },
  });
  assert.equal(listed.status, 200);
  const ids = new Set(((await listed.json()) as { activations: { id: string }[] }).activations.map((a) => a.id));
  const lost = answered.filter((id) => !ids.has(id));
  assert.deepEqual(lost, [], `${lost.length} of ${answered.length} answered activations were lost`);
  assert.ok(ids.size >= answered.length);

  // The restarted center goes on: the last PIN activates.
  const last = await activate(second.url, request(serial, issued[pins - 1]?.pin as string, pins - 1));
  assert.equal(last.status, 201, await last.text());
  second.child.kill('SIGTERM');
});
