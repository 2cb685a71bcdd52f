/** The error registry, the error type, and the documentation that lists every code. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { ERRORS, type ErrorCode, isErrorCode, LictorError } from '../src/index.js';

const codes = Object.keys(ERRORS) as ErrorCode[];

describe('ERRORS registry', () => {
  test('is not empty', () => {
    assert.ok(codes.length > 0);
  });

  for (const code of codes) {
    test(`${code}: prefix, HTTP status and title`, () => {
      assert.match(code, /^LICTOR_E_[A-Z0-9]+(?:_[A-Z0-9]+)*$/);
      const { status, title } = ERRORS[code];
      assert.ok(Number.isInteger(status) && status >= 400 && status <= 599, `status ${status}`);
      assert.equal(typeof title, 'string');
      assert.ok(title.trim().length > 0, 'title is empty');
      assert.equal(title, title.trim());
    });
  }

  test('titles are distinct', () => {
    const titles = codes.map((c) => ERRORS[c].title);
    assert.equal(new Set(titles).size, titles.length);
  });
});

describe('LictorError', () => {
  test('is an Error with name, code, message and the status of its code', () => {
    const err = new LictorError('LICTOR_E_PIN_USED', 'PIN 2 of LX-0000-0000-0000 is active on another computer');
    assert.ok(err instanceof Error);
    assert.ok(err instanceof LictorError);
    assert.equal(err.name, 'LictorError');
    assert.equal(err.code, 'LICTOR_E_PIN_USED');
    assert.equal(err.message, 'PIN 2 of LX-0000-0000-0000 is active on another computer');
    assert.equal(err.status, 409);
    assert.equal(err.details, undefined);
    assert.match(String(err), /^LictorError: PIN 2/);
    assert.ok(err.stack?.includes('LictorError'));
  });

  test('status follows the registry for every code', () => {
    for (const code of codes) assert.equal(new LictorError(code, 'x').status, ERRORS[code].status);
  });

  test('toJSON without details: exactly code and message', () => {
    const err = new LictorError('LICTOR_E_NOT_FOUND', 'no product ACME.CAD');
    assert.deepEqual(err.toJSON(), { code: 'LICTOR_E_NOT_FOUND', message: 'no product ACME.CAD' });
    assert.ok(!('details' in err.toJSON()));
    assert.equal(JSON.stringify(err), '{"code":"LICTOR_E_NOT_FOUND","message":"no product ACME.CAD"}');
  });

  test('toJSON with details: code, message and details', () => {
    const details = { field: 'serial', limit: 64 };
    const err = new LictorError('LICTOR_E_INVALID_INPUT', 'serial is too long', details);
    assert.deepEqual(err.toJSON(), { code: 'LICTOR_E_INVALID_INPUT', message: 'serial is too long', details });
    assert.deepEqual(JSON.parse(JSON.stringify(err)), {
      code: 'LICTOR_E_INVALID_INPUT',
      message: 'serial is too long',
      details,
    });
  });

  test('toJSON carries neither the stack nor the name', () => {
    const body = new LictorError('LICTOR_E_INTERNAL', 'boom').toJSON() as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ['code', 'message']);
  });
});

describe('isErrorCode', () => {
  test('accepts every registered code', () => {
    for (const code of codes) assert.equal(isErrorCode(code), true, code);
  });

  test('rejects anything else', () => {
    for (const v of [
      '',
      'LICTOR_E_',
      'LICTOR_E_NOPE',
      'lictor_e_not_found',
      ' LICTOR_E_NOT_FOUND',
      'toString',
      'constructor',
      '__proto__',
      'hasOwnProperty',
      null,
      undefined,
      404,
      {},
      ['LICTOR_E_NOT_FOUND'],
    ]) {
      assert.equal(isErrorCode(v), false, JSON.stringify(v));
    }
  });
});

describe('docs/errors.md', () => {
  const url = new URL('../../../docs/errors.md', import.meta.url);

  test('exists', () => {
    assert.ok(existsSync(url), `${url.pathname} is missing`);
  });

  /** Table rows of the document, by their first cell (the code without backticks). */
  function rows(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const line of readFileSync(url, 'utf8').split(/\r?\n/)) {
      if (!line.startsWith('|')) continue;
      const cells = line
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim());
      const code = cells[0]?.replaceAll('`', '');
      if (code?.startsWith('LICTOR_E_')) out.set(code, cells);
    }
    return out;
  }

  test('the table header is code | HTTP status | meaning | what to do', () => {
    // Column alignment (padding, as Markdown formatters write it) does not matter.
    const headers = readFileSync(url, 'utf8')
      .split(/\r?\n/)
      .filter((l) => l.startsWith('|') && !l.includes('LICTOR_E_') && !/^[|\s:-]+$/.test(l))
      .map((l) =>
        l
          .split('|')
          .slice(1, -1)
          .map((c) => c.trim()),
      );
    assert.ok(headers.length > 0, 'no table header found');
    for (const h of headers) assert.deepEqual(h, ['code', 'HTTP status', 'meaning', 'what to do']);
  });

  for (const code of codes) {
    test(`${code} has a table row with its status and a remedy`, () => {
      const row = rows().get(code);
      assert.ok(row, `no table row for ${code} in docs/errors.md`);
      assert.equal(row.length, 4, `row of ${code} should have 4 cells`);
      assert.equal(row[1], String(ERRORS[code].status), `HTTP status of ${code}`);
      assert.ok((row[2] ?? '').length > 0, `meaning of ${code} is empty`);
      assert.ok((row[3] ?? '').length > 0, `what to do for ${code} is empty`);
    });
  }

  test('documents no code that does not exist', () => {
    for (const code of rows().keys()) assert.ok(isErrorCode(code), `docs/errors.md lists unknown code ${code}`);
  });
});
