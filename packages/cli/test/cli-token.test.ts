/**
 * The end user's side of hardware tokens through the `lictor` command, against SoftHSM2 tokens
 * and a real `lictor center serve`: `lictor token list`, `status`/`check` with token licenses
 * (a token the vendor programmed), and `activate --bind-token`, then pulling the token out.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type BinSession, binSession } from './bin.js';
import { type Cli, cliOn, workstation } from './run-cli.js';
import {
  modulePath,
  skipWithoutSoftHsm,
  type TestToken,
  type TokenWorld,
  tokenWorld,
  USER_PIN,
} from './token-world.js';

const DESKTOP = workstation('design-03', '02:00:00:00:33:01');

describe('lictor token, status, check and activate --bind-token (SoftHSM2)', { skip: skipWithoutSoftHsm }, () => {
  let world: TokenWorld<[TestToken, TestToken]>;
  let programmed: TestToken;
  let bound: TestToken;
  let root: string;
  let pinFile: string;
  let cli: Cli;
  let serial: string;
  let pins: string[];
  let publicKey: string;
  let center: BinSession | undefined;
  const lictor = (args: string[]) => cli.run(args);
  const ok = (args: string[]) => cli.ok(args);

  before(async () => {
    world = await tokenWorld({
      name: 'user-token',
      labels: ['programmed', 'bound'],
      features: ['render'],
      lictor: (env) => cliOn({ env, hardware: DESKTOP }).ok,
    });
    [programmed, bound] = world.tokens;
    ({ root, pinFile, publicKey } = world);
    cli = cliOn({ env: world.env, hardware: DESKTOP });
    ({ serial, pins } = await world.issue(
      '--type',
      'single',
      '--feature',
      'render',
      '--pins',
      '3',
      '--max-active',
      '3',
    ));
  });

  after(async () => {
    center?.killAll();
    await world?.cleanup();
  });

  test('token list shows the tokens the module sees', async () => {
    const listed = JSON.parse(await ok(['token', 'list', '--module', modulePath, '--json'])) as {
      module: string;
      tokens: {
        label: string;
        serial: string;
        manufacturer: string;
        model: string;
        present: boolean;
        initialized: boolean;
      }[];
    };
    assert.equal(listed.module, modulePath);
    const mine = listed.tokens
      .filter((t) => t.present && t.initialized)
      .map((t) => [t.label, t.serial, t.manufacturer, t.model]);
    assert.deepEqual(
      mine.sort(),
      [
        ['bound', bound.serial, 'SoftHSM project', 'SoftHSM v2'],
        ['programmed', programmed.serial, 'SoftHSM project', 'SoftHSM v2'],
      ].sort(),
    );
    const text = await ok(['token', 'list', '--module', modulePath]);
    assert.match(text, new RegExp(`"programmed" SoftHSM project SoftHSM v2, serial ${programmed.serial}`));
  });

  test('a token the vendor programmed licenses the product on the customer computer', async () => {
    // The PIN from LICTOR_TOKEN_PIN this time.
    const vendor = cliOn({ env: { ...world.env, LICTOR_TOKEN_PIN: USER_PIN }, hardware: DESKTOP });
    await vendor.ok(world.programArgs(programmed, serial));

    const store = join(root, 'programmed-store');
    const common = ['--store', store, '--public-key', publicKey];
    const refused = await lictor(['check', '--product', 'CAD', ...common]);
    assert.equal(refused.code, 1, 'without token options the token is not looked at');

    const check = await lictor([
      'check',
      '--product',
      'CAD',
      '--feature',
      'render',
      ...common,
      '--token-module',
      modulePath,
      '--token-pin-file',
      pinFile,
      '--token-pin-shared', // both tokens plugged in here have the same PIN
    ]);
    assert.equal(check.code, 0, check.err);
    assert.match(check.out, new RegExp(`licensed: CAD/render \\(serial ${serial}`));

    const status = JSON.parse(
      await ok([
        'status',
        ...common,
        '--token-module',
        modulePath,
        '--token-pin-file',
        pinFile,
        '--token-label',
        'programmed',
        '--json',
      ]),
    ) as { files: { path: string; available: boolean; onToken?: { serial: string } }[] };
    const onToken = status.files.find((f) => f.path === `token:SoftHSM project/${programmed.serial}`);
    assert.equal(onToken?.available, true, JSON.stringify(status.files));
    assert.equal(onToken?.onToken?.serial, programmed.serial);
    const text = await ok([
      'status',
      ...common,
      '--token-module',
      modulePath,
      '--token-pin-file',
      pinFile,
      '--token-label',
      'programmed',
    ]);
    assert.match(text, /stored on the hardware token "programmed"/);
  });

  test('activate --bind-token binds a license to the token; check follows the token in and out', async () => {
    // The programmed token of the previous test licenses CAD too: out with it, so that only `bound` counts.
    await world.softhsm.unplug(programmed);
    center = binSession(world.env);
    const started = await center.serve('center', 'serve', '--data', world.data, '--port', '0');
    const store = join(root, 'bound-store');
    const common = ['--store', store, '--public-key', publicKey];
    const withToken = ['--token-module', modulePath, '--token-pin-file', pinFile];
    const pin = pins[2];
    assert.ok(pin);
    const activated = await lictor([
      'activate',
      '--center',
      started.url,
      '--serial',
      serial,
      '--pin',
      pin,
      '--company',
      'ACME Corp',
      '--email',
      'it@acme.example',
      '--bind-token',
      '--module',
      modulePath,
      '--token-label',
      'bound',
      '--token-pin-file',
      pinFile,
      ...common,
    ]);
    assert.equal(activated.code, 0, activated.err);
    assert.match(
      activated.out,
      new RegExp(
        `bound to hardware token SoftHSM project SoftHSM v2, serial ${bound.serial} \\(key 'lictor' generated on the token now\\)`,
      ),
    );

    const licensed = await lictor(['check', '--product', 'CAD', ...common, ...withToken]);
    assert.equal(licensed.code, 0, licensed.err);
    const notEnabled = await lictor(['check', '--product', 'CAD', ...common]);
    assert.equal(notEnabled.code, 1);
    assert.match(notEnabled.err, /LICTOR_E_TOKEN_ABSENT.*token licenses are not enabled here/);

    await world.softhsm.unplug(bound);
    try {
      const absent = await lictor(['check', '--product', 'CAD', ...common, ...withToken]);
      assert.equal(absent.code, 1);
      assert.match(absent.err, new RegExp(`LICTOR_E_TOKEN_ABSENT.*#${bound.serial} is not present; plug it in`));
    } finally {
      await world.softhsm.replug(bound);
    }
    assert.equal((await lictor(['check', '--product', 'CAD', ...common, ...withToken])).code, 0);
    await world.softhsm.replug(programmed);
  });
});
