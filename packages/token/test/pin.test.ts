/** The token user PIN: from a file, the environment or a terminal prompt without echo; never printed. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { inspect } from 'node:util';
import { PIN_ENV, promptForPin, readTokenPin, TokenPin } from '../src/index.js';
import { rejection } from './refusal.js';

/** A fake terminal: input in raw mode (records the mode), output collected. */
function terminal() {
  const input = Object.assign(new PassThrough(), {
    isTTY: true,
    modes: [] as boolean[],
    setRawMode(raw: boolean) {
      input.modes.push(raw);
      return input;
    },
  });
  const output = new PassThrough();
  let shown = '';
  output.on('data', (d: Buffer) => {
    shown += d.toString();
  });
  return { input, output, shown: () => shown };
}

describe('readTokenPin', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lictor-pin-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('reads the first line of the PIN file (before the environment)', async () => {
    const file = join(dir, 'pin');
    await writeFile(file, '4711\r\nignored second line\n');
    const pin = await readTokenPin({ pinFile: file, env: { [PIN_ENV]: '9999' } });
    assert.equal(pin.reveal(), '4711');
  });

  test('an empty or missing PIN file is refused without a PIN in the message', async () => {
    const empty = join(dir, 'empty');
    await writeFile(empty, '\nsecret-on-line-2\n');
    const err = await rejection(readTokenPin({ pinFile: empty }));
    assert.equal(err.code, 'LICTOR_E_TOKEN_PIN_REQUIRED');
    assert.doesNotMatch(err.message, /secret-on-line-2/);
    assert.equal((await rejection(readTokenPin({ pinFile: join(dir, 'none') }))).code, 'LICTOR_E_FILE_UNREADABLE');
  });

  test('reads LICTOR_TOKEN_PIN', async () => {
    assert.equal((await readTokenPin({ env: { [PIN_ENV]: '123456' } })).reveal(), '123456');
  });

  test('without a file, variable or terminal: TOKEN_PIN_REQUIRED saying where a PIN can come from', async () => {
    const err = await rejection(readTokenPin({ env: {} }));
    assert.equal(err.code, 'LICTOR_E_TOKEN_PIN_REQUIRED');
    assert.match(err.message, /--pin-file/);
    assert.match(err.message, new RegExp(PIN_ENV));
  });

  test('asks on the terminal last', async () => {
    const t = terminal();
    const pending = readTokenPin({ env: {}, prompt: { input: t.input, output: t.output } });
    t.input.write('2468\r');
    assert.equal((await pending).reveal(), '2468');
  });
});

describe('promptForPin', () => {
  test('reads in raw mode without echo, handles backspace, restores the terminal', async () => {
    const t = terminal();
    const pending = promptForPin({ input: t.input, output: t.output, question: 'PIN for "alpha": ' });
    t.input.write('12');
    t.input.write('x\u007f34\r');
    const pin = await pending;
    assert.equal(pin.reveal(), '1234');
    assert.equal(t.shown(), 'PIN for "alpha": \n');
    assert.deepEqual(t.input.modes, [true, false]);
  });

  test('Ctrl-C, an empty line or the end of input cancel', async () => {
    for (const typed of ['12\u0003', '\r']) {
      const t = terminal();
      const pending = promptForPin({ input: t.input, output: t.output });
      t.input.write(typed);
      assert.equal((await rejection(pending)).code, 'LICTOR_E_TOKEN_PIN_REQUIRED');
      assert.deepEqual(t.input.modes, [true, false]);
    }
    const t = terminal();
    const pending = promptForPin({ input: t.input, output: t.output });
    t.input.end();
    assert.equal((await rejection(pending)).code, 'LICTOR_E_TOKEN_PIN_REQUIRED');
  });

  test('a piped (non-terminal) input is read as one line', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const pending = promptForPin({ input, output });
    input.write('5555\nrest');
    assert.equal((await pending).reveal(), '5555');
  });
});

describe('TokenPin', () => {
  test('never shows the PIN when printed, serialized or inspected', () => {
    const pin = new TokenPin('80386');
    assert.equal(`${pin}`, '[PIN]');
    assert.equal(JSON.stringify({ pin }), '{"pin":"[PIN]"}');
    assert.equal(inspect({ pin }), '{ pin: [PIN] }');
    assert.doesNotMatch(inspect(pin, { showHidden: true, depth: 5 }), /80386/);
    assert.equal(pin.reveal(), '80386');
  });
});
