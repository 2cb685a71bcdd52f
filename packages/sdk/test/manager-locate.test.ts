import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LictorError } from '@lictor/protocol';
import { locateManagers, managerConfigPaths, normalizeManagerAddress, parseManagerIni } from '../src/index.js';

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'lictor-manager-locate-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('lictor.ini parsing', () => {
  const ok: [string, string, string[]][] = [
    ['one address, default port', '[managers]\naddress = lm.example.lan\n', ['http://lm.example.lan:8790']],
    [
      'comments, blank lines, spaces, CRLF',
      '; site managers\r\n# second comment\r\n\r\n  [ Managers ]  \r\n  ADDRESS=10.0.0.1:9000   ; main\r\naddress = 10.0.0.2 # backup\r\n',
      ['http://10.0.0.1:9000', 'http://10.0.0.2:8790'],
    ],
    [
      'urls, IPv6, duplicates dropped',
      '[managers]\naddress = https://lm:8443\naddress = [::1]:7000\naddress = lm:8443\naddress = https://lm:8443/\n',
      ['https://lm:8443', 'http://[::1]:7000', 'http://lm:8443'],
    ],
    ['other sections ignored', '[other]\nkey = value\n[managers]\naddress = a\n', ['http://a:8790']],
    ['no managers section', '; nothing\n', []],
    ['BOM', '\uFEFF[managers]\naddress = a:1\n', ['http://a:1']],
  ];
  for (const [name, text, expected] of ok) {
    test(name, () => assert.deepEqual(parseManagerIni(text), expected));
  }

  const bad: [string, string, number][] = [
    ['line without "="', '[managers]\naddress = a\nnonsense\n', 3],
    ['unknown key', '[managers]\r\n\r\nadress = a\r\n', 3],
    ['empty address', '[managers]\naddress =\n', 2],
    ['bad port', '; x\n[managers]\naddress = a:70000\n', 3],
    ['non-numeric port', '[managers]\naddress = a:http\n', 2],
    ['broken section header', '[managers\naddress = a\n', 1],
    ['path in address', '[managers]\naddress = a:1/x\n', 2],
  ];
  for (const [name, text, line] of bad) {
    test(`malformed: ${name} → line ${line}`, () => {
      assert.throws(
        () => parseManagerIni(text, '/etc/lictor/lictor.ini'),
        (err: unknown) => {
          assert.ok(err instanceof LictorError);
          assert.equal(err.code, 'LICTOR_E_INVALID_INPUT');
          assert.deepEqual(err.details, { file: '/etc/lictor/lictor.ini', line });
          assert.match(err.message, new RegExp(`^/etc/lictor/lictor\\.ini, line ${line}: `));
          return true;
        },
      );
    });
  }

  test('address forms', () => {
    assert.equal(normalizeManagerAddress(' host '), 'http://host:8790');
    assert.equal(normalizeManagerAddress('https://h'), 'https://h:8790');
    assert.equal(normalizeManagerAddress('http://h:80'), 'http://h:80');
    assert.throws(() => normalizeManagerAddress('ftp://h'), { code: 'LICTOR_E_INVALID_INPUT' });
    assert.throws(() => normalizeManagerAddress('::1'), { code: 'LICTOR_E_INVALID_INPUT' });
  });
});

describe('manager search order', () => {
  test('default config paths: app dir, per-user, per-machine', () => {
    assert.deepEqual(managerConfigPaths({ appDir: '/opt/app', env: { XDG_CONFIG_HOME: '/x' }, platform: 'linux' }), [
      '/opt/app/lictor.ini',
      '/x/lictor/lictor.ini',
      '/etc/lictor/lictor.ini',
    ]);
    const win = managerConfigPaths({ env: { APPDATA: 'A', ProgramData: 'P' }, platform: 'win32' });
    assert.equal(win.length, 2);
    assert.match(win[0] ?? '', /^A[\\/]Lictor[\\/]lictor\.ini$/);
    assert.match(win[1] ?? '', /^P[\\/]Lictor[\\/]lictor\.ini$/);
  });

  test('explicit > ini (first existing file with managers) > env > discover', async () => {
    const app = join(root, 'app');
    const user = join(root, 'user');
    const machine = join(root, 'machine');
    await mkdir(app, { recursive: true });
    await mkdir(user, { recursive: true });
    await mkdir(machine, { recursive: true });
    const configPaths = [join(app, 'lictor.ini'), join(user, 'lictor.ini'), join(machine, 'lictor.ini')];
    const env = { LICTOR_MANAGER: 'env1, env2:9000' };
    const discover = async () => ['discovered'];

    assert.deepEqual(await locateManagers({ configPaths, env, discover }), {
      managers: ['http://env1:8790', 'http://env2:9000'],
      source: 'env',
      searched: [...configPaths, 'LICTOR_MANAGER'],
    });
    assert.deepEqual((await locateManagers({ configPaths, env: {}, discover })).managers, ['http://discovered:8790']);
    assert.equal((await locateManagers({ configPaths, env: {} })).source, 'none');

    await writeFile(join(machine, 'lictor.ini'), '[managers]\naddress = machine\n');
    await writeFile(join(app, 'lictor.ini'), '; present but empty\n');
    const fromMachine = await locateManagers({ configPaths, env, discover });
    assert.equal(fromMachine.source, 'ini');
    assert.equal(fromMachine.file, join(machine, 'lictor.ini'));
    assert.deepEqual(fromMachine.managers, ['http://machine:8790']);

    await writeFile(join(user, 'lictor.ini'), '[managers]\r\naddress = user:1\r\n');
    assert.deepEqual((await locateManagers({ configPaths, env })).managers, ['http://user:1']);

    const explicit = await locateManagers({ managers: ['lm:2', 'http://lm:2'], configPaths, env });
    assert.deepEqual(explicit, { managers: ['http://lm:2'], source: 'option', searched: ['managers option'] });

    await writeFile(join(app, 'lictor.ini'), '[managers]\naddress = app\n');
    assert.deepEqual((await locateManagers({ configPaths, env })).managers, ['http://app:8790']);

    const appDirOnly = await locateManagers({ appDir: app, env: { XDG_CONFIG_HOME: join(root, 'none') } });
    assert.equal(appDirOnly.file, join(app, 'lictor.ini'));

    await writeFile(join(app, 'lictor.ini'), '[managers]\naddress = app\ngarbage\n');
    await assert.rejects(locateManagers({ configPaths, env }), { code: 'LICTOR_E_INVALID_INPUT' });
  });

  test('malformed LICTOR_MANAGER is reported', async () => {
    await assert.rejects(locateManagers({ configPaths: [], env: { LICTOR_MANAGER: 'a, b:x' } }), {
      code: 'LICTOR_E_INVALID_INPUT',
    });
  });
});
