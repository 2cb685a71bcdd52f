/**
 * Offline activation requests: the request file (`createRequest`, `encodeRequestFile`,
 * `decodeRequestFile`, `requestProvesPin`) and the short request code (`createRequestCode`,
 * `parseRequestCode`, `requestCodeProvesPin`). The PIN proof, that the PIN is never written,
 * exhaustive tampering and truncation, e-mail mangling, fuzzing, and size.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import fc from 'fast-check';
import {
  createRequest,
  createRequestCode,
  dearmor,
  decodeRequestFile,
  decodeShortCode,
  type ErrorCode,
  encodeAnswerCode,
  encodeBlacklist,
  encodeLicenseFile,
  encodeRequestFile,
  encodeShortCode,
  generateVendorKeys,
  type HardwareParams,
  hmacSha256,
  type LicenseDocument,
  LictorError,
  loadSigner,
  normalizeHardware,
  parsePublicKey,
  parseRequestCode,
  pinTag,
  type RequestDocument,
  type RequestFields,
  requestCodeProvesPin,
  requestProvesPin,
  sha256,
  subjectDigest,
  utf8,
  type VendorSigner,
} from '../src/index.js';
import { armorLines, assertCode } from './refusal.js';

const GiB = 1024 ** 3;
const SERIAL = 'LX-7K2M-9QHT-D4WZ';
/** Has 0s and 1s, so that O/I/L confusion can be tried. */
const PIN = '0K1ZM-7Q0PA-1X4RT';
const OTHER_PINS = ['0K1ZM-7Q0PA-1X4RV', '1K1ZM-7Q0PA-1X4RT', '7Q0PA-0K1ZM-1X4RT', '0K1ZM-7Q0PA', ''];
/** How the PIN may be typed; all must prove the same PIN. */
const PIN_SPELLINGS = [
  PIN,
  PIN.toLowerCase(),
  PIN.replaceAll('-', ' '),
  PIN.replaceAll('-', ''),
  ` ${PIN} `,
  PIN.replaceAll('0', 'O'),
  PIN.replaceAll('0', 'o').replaceAll('1', 'l'),
  PIN.replaceAll('1', 'I').toLowerCase(),
  '0k1zm 7q0pa\n1x4rt',
];

function owner(): Record<string, string> {
  return { name: 'Anna Keller', email: 'anna.keller@example.org' };
}

function hardware(): HardwareParams {
  return {
    platform: 'win32',
    osName: 'Windows 11 Pro',
    osVersion: '10.0',
    hostname: 'ws-accounting',
    board: 'ASUSTeK PRIME B550M-A',
    ramBytes: 16 * GiB,
    bios: 'American Megatrends 2803',
    cpus: ['AMD Ryzen 7 5700X (8 cores)'],
    nics: ['52:54:00:12:34:56'],
    disks: ['S4EWNX0R123456'],
  };
}

function fields(): RequestFields {
  return {
    serial: SERIAL,
    product: 'ACME.CAD',
    owner: owner(),
    hardware: hardware(),
    nonce: 'q0D1vN3xW8bE5tYk2pZs7A',
    createdAt: '2025-03-14T09:26:53.000Z',
  };
}

/** A server with many adapters, drives and sockets: the largest request a customer sends. */
function bigHardware(): HardwareParams {
  return {
    platform: 'win32',
    osName: 'Windows Server 2022 Datacenter',
    osVersion: '10.0.20348',
    hostname: 'SRV-LICENSING-PRIMARY-01.corp.keller-soehne.example',
    board: 'Supermicro X12DPi-NT6 (Rev 1.02)',
    ramBytes: 512 * GiB,
    bios: 'American Megatrends International, LLC. 1.4b (2023-11-02)',
    cpus: ['Intel Xeon Gold 6338 CPU @ 2.00GHz (32 cores)', 'Intel Xeon Gold 6338 CPU @ 2.00GHz (32 cores)'],
    nics: Array.from({ length: 8 }, (_, i) => `3C-EC-EF-0${i}-A1-B2`),
    disks: ['S6ESNS0T512345X', 'S6ESNS0T512346Y', 'PHLJ1234567890AB', 'ZL2ABCDEF0000000001'],
  };
}

const ALLOWED_DECODE_CODES: ErrorCode[] = [
  'LICTOR_E_FILE_TAMPERED',
  'LICTOR_E_FILE_FORMAT',
  'LICTOR_E_FILE_VERSION',
  'LICTOR_E_FILE_TRUNCATED',
];

/** Armors bytes the way `encodeRequestFile` does (or in lines of another width). */
const armor = (bytes: Uint8Array, width?: number) => armorLines('request', bytes, width);

/** A request file body with a correct checksum around arbitrary JSON bytes. */
function withChecksum(json: Uint8Array, version = 1, kind = 3): Uint8Array {
  const out = new Uint8Array(14 + json.length);
  out.set(utf8('LCTR'));
  out[4] = version;
  out[5] = kind;
  out.set(sha256(json).subarray(0, 8), 6);
  out.set(json, 14);
  return out;
}

let request: RequestDocument;
let requestText: string;
let requestBytes: Uint8Array;
let signer: VendorSigner;

before(() => {
  request = createRequest(fields(), PIN);
  requestText = encodeRequestFile(request);
  requestBytes = dearmor('request', requestText);
  const keys = generateVendorKeys();
  signer = loadSigner(keys.privatePem);
  assert.equal(parsePublicKey(keys.publicKey).text, signer.publicKey.text);
});

describe('request file round trip', () => {
  test('decodes to the created request', () => {
    assert.deepEqual(decodeRequestFile(requestText), request);
    assert.equal(request.format, 1);
    assert.match(request.proof, /^[A-Za-z0-9_-]{43}$/); // 32 bytes of HMAC-SHA256
    assert.match(
      requestText,
      /^-----BEGIN LICTOR REQUEST-----\n([A-Za-z0-9+/=]{1,64}\n)+-----END LICTOR REQUEST-----\n$/,
    );
  });

  test('createRequest normalizes the serial and the hardware before proving', () => {
    const typed = {
      ...fields(),
      serial: ' lx 7k2m 9qht d4wz ',
      hardware: {
        ...hardware(),
        osVersion: '10.0.22631',
        hostname: 'WS-Accounting',
        nics: ['52-54-00-12-34-56'.toUpperCase()],
        board: ' ASUSTeK  PRIME B550M-A ',
      },
    };
    const created = createRequest(typed, PIN);
    assert.equal(created.serial, SERIAL);
    assert.deepEqual(created.hardware, normalizeHardware(hardware()));
    assert.deepEqual(created, request);
    assert.ok(requestProvesPin(decodeRequestFile(encodeRequestFile(created)), PIN));
  });

  test('a request without a product round-trips', () => {
    const r = createRequest({ ...fields(), product: null }, PIN);
    assert.deepEqual(decodeRequestFile(encodeRequestFile(r)), r);
    assert.ok(requestProvesPin(r, PIN));
  });

  test('property: random owners, hardware, products and dates round-trip and prove their PIN', () => {
    const text = (max: number) => fc.string({ maxLength: max });
    const hw = fc.record({
      platform: fc.constantFrom('win32', 'linux', 'darwin'),
      osName: text(40),
      osVersion: fc.constantFrom('10.0', '24.04', '14.5', '', '6'),
      hostname: text(40),
      board: text(60),
      ramBytes: fc.integer({ min: 0, max: 2 ** 45 }),
      bios: text(60),
      cpus: fc.array(text(60), { maxLength: 4 }),
      nics: fc.array(
        fc
          .uint8Array({ minLength: 6, maxLength: 6 })
          .map((b) => Buffer.from(b).toString('hex').match(/../g)!.join(':')),
        { maxLength: 8 },
      ),
      disks: fc.array(text(40), { maxLength: 6 }),
    });
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), text(100), { maxKeys: 5, noNullPrototype: true }),
        hw,
        fc.option(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,20}$/), { nil: null }),
        fc.date({ min: new Date('2024-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        (o, h, product, date, nonce) => {
          const r = createRequest(
            {
              serial: SERIAL,
              product,
              owner: o,
              hardware: h,
              nonce: Buffer.from(nonce).toString('base64url'),
              createdAt: date.toISOString(),
            },
            PIN,
          );
          const decoded = decodeRequestFile(encodeRequestFile(r));
          assert.deepEqual(decoded, r);
          assert.ok(requestProvesPin(decoded, PIN));
          assert.ok(!requestProvesPin(decoded, OTHER_PINS[0] as string));
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('PIN proof of a request file', () => {
  test('proves the PIN, however it is typed', () => {
    const decoded = decodeRequestFile(requestText);
    for (const pin of PIN_SPELLINGS) assert.ok(requestProvesPin(decoded, pin), JSON.stringify(pin));
    // The spellings yield the same proof, too.
    for (const pin of PIN_SPELLINGS) assert.equal(createRequest(fields(), pin).proof, request.proof, pin);
  });

  test('does not prove another PIN', () => {
    for (const pin of OTHER_PINS) assert.ok(!requestProvesPin(request, pin), JSON.stringify(pin));
  });

  test('a proof that is not base64url, or of another length, proves nothing', () => {
    for (const proof of ['', '!!!!', `${request.proof}A`, request.proof.slice(0, -1), request.proof.slice(0, 22)]) {
      assert.ok(!requestProvesPin({ ...request, proof }, PIN), proof);
    }
  });

  test('the file never contains the PIN, with or without dashes, in the text or the decoded bytes', () => {
    const texts = [requestText, Buffer.from(requestBytes).toString('latin1'), JSON.stringify(request)];
    for (const r of [request, createRequest({ ...fields(), product: null }, PIN)]) {
      texts.push(encodeRequestFile(r), Buffer.from(dearmor('request', encodeRequestFile(r))).toString('latin1'));
    }
    for (const t of texts) {
      const upper = t.toUpperCase();
      for (const form of [PIN, PIN.replaceAll('-', ''), PIN.replaceAll('-', ' ')]) {
        assert.ok(!upper.includes(form), `found ${form}`);
      }
      for (const group of PIN.split('-')) assert.ok(!upper.includes(group), `found PIN group ${group}`);
    }
  });

  test('changing any field of a decoded request makes the proof fail', () => {
    const hw = request.hardware;
    const changes: [string, (r: RequestDocument) => RequestDocument][] = [
      ['serial', (r) => ({ ...r, serial: 'LX-7K2M-9QHT-D4WY' })],
      ['serial (lower case)', (r) => ({ ...r, serial: r.serial.toLowerCase() })],
      ['product', (r) => ({ ...r, product: 'ACME.SRV' })],
      ['product → null', (r) => ({ ...r, product: null })],
      ['owner value', (r) => ({ ...r, owner: { ...r.owner, name: 'Anna Kellner' } })],
      ['owner key added', (r) => ({ ...r, owner: { ...r.owner, company: 'Keller & Söhne GmbH' } })],
      ['owner key removed', (r) => ({ ...r, owner: { name: r.owner.name as string } })],
      ['owner emptied', (r) => ({ ...r, owner: {} })],
      ['owner key renamed', (r) => ({ ...r, owner: { fullName: 'Anna Keller', email: r.owner.email as string } })],
      ['hardware.platform', (r) => ({ ...r, hardware: { ...hw, platform: 'linux' } })],
      ['hardware.osName', (r) => ({ ...r, hardware: { ...hw, osName: 'Windows 10 Pro' } })],
      ['hardware.osVersion', (r) => ({ ...r, hardware: { ...hw, osVersion: '6.1' } })],
      ['hardware.hostname', (r) => ({ ...r, hardware: { ...hw, hostname: 'ws-sales' } })],
      ['hardware.board', (r) => ({ ...r, hardware: { ...hw, board: 'ASUSTeK PRIME B450M-A' } })],
      ['hardware.ramBytes', (r) => ({ ...r, hardware: { ...hw, ramBytes: hw.ramBytes * 2 } })],
      ['hardware.bios', (r) => ({ ...r, hardware: { ...hw, bios: 'American Megatrends 2804' } })],
      ['hardware.cpus', (r) => ({ ...r, hardware: { ...hw, cpus: [...hw.cpus, ...hw.cpus] } })],
      ['hardware.nics', (r) => ({ ...r, hardware: { ...hw, nics: ['52:54:00:12:34:57'] } })],
      ['hardware.disks', (r) => ({ ...r, hardware: { ...hw, disks: [] } })],
      ['nonce', (r) => ({ ...r, nonce: `${r.nonce.slice(0, -1)}B` })],
      ['createdAt', (r) => ({ ...r, createdAt: '2025-03-14T09:26:54.000Z' })],
      ['createdAt (same instant, other spelling)', (r) => ({ ...r, createdAt: '2025-03-14T09:26:53Z' })],
      ['proof', (r) => ({ ...r, proof: `${r.proof.slice(0, -1)}${r.proof.endsWith('A') ? 'Q' : 'A'}` })],
    ];
    const decoded = decodeRequestFile(requestText);
    assert.ok(requestProvesPin(decoded, PIN));
    for (const [what, change] of changes) {
      const changed = change(structuredClone(decoded));
      assert.notDeepEqual(changed, decoded, what);
      // Re-encoded: the checksum is right again, only the proof can tell.
      const reDecoded = decodeRequestFile(encodeRequestFile(changed));
      assert.deepEqual(reDecoded, changed, what);
      for (const pin of [PIN, ...OTHER_PINS]) assert.ok(!requestProvesPin(reDecoded, pin), `${what} with ${pin}`);
    }
  });
});

describe('tampered and truncated request files', () => {
  test('flipping any bit or byte of the binary fails with a LictorError, never with other content', () => {
    const seen = new Map<string, number>();
    for (let i = 0; i < requestBytes.length; i++) {
      for (const mask of [1, 2, 4, 8, 16, 32, 64, 128, 0xff]) {
        const bytes = requestBytes.slice();
        bytes[i] = (bytes[i] as number) ^ mask;
        const err = assertCode(() => decodeRequestFile(armor(bytes)), ALLOWED_DECODE_CODES, `byte ${i} ^ ${mask}`);
        seen.set(err.code, (seen.get(err.code) ?? 0) + 1);
      }
    }
    // Magic and kind → FORMAT, version → VERSION, checksum and JSON → TAMPERED.
    assert.deepEqual([...seen.keys()].sort(), [
      'LICTOR_E_FILE_FORMAT',
      'LICTOR_E_FILE_TAMPERED',
      'LICTOR_E_FILE_VERSION',
    ]);
    assert.equal(seen.get('LICTOR_E_FILE_VERSION'), 9);
  });

  test('changing any base64 character of the text fails with a LictorError', () => {
    const start = requestText.indexOf('\n') + 1;
    const stop = requestText.indexOf('-----END');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    for (let i = start; i < stop; i++) {
      const c = requestText[i] as string;
      if (c === '\n' || c === '=') continue;
      for (const step of [1, 17, 63]) {
        const replaced = alphabet[(alphabet.indexOf(c) + step) % 64] as string;
        const text = requestText.slice(0, i) + replaced + requestText.slice(i + 1);
        assertCode(() => decodeRequestFile(text), ALLOWED_DECODE_CODES, `char ${i} ${c} → ${replaced}`);
      }
    }
  });

  test('the binary truncated to every length fails with a LictorError', () => {
    for (let n = 0; n < requestBytes.length; n++) {
      const err = assertCode(
        () => decodeRequestFile(armor(requestBytes.subarray(0, n))),
        n < 14 ? ['LICTOR_E_FILE_TRUNCATED'] : ['LICTOR_E_FILE_TAMPERED'],
        `length ${n}`,
      );
      assert.ok(err.message.length > 0);
    }
  });

  test('the text truncated at every length fails with a LictorError until the END line is complete', () => {
    const endLine = requestText.indexOf('-----END LICTOR REQUEST-----') + '-----END LICTOR REQUEST-----'.length;
    for (let n = 0; n < requestText.length; n++) {
      const text = requestText.slice(0, n);
      if (n >= endLine) {
        assert.deepEqual(decodeRequestFile(text), request, `length ${n}`);
        continue;
      }
      assertCode(() => decodeRequestFile(text), ALLOWED_DECODE_CODES, `length ${n}`);
    }
  });

  test('a checksum that is right around JSON that is not a request fails with FILE_FORMAT', () => {
    const cases: unknown[] = [
      null,
      [],
      42,
      'request',
      {},
      { ...request, format: 2 },
      { ...request, serial: 7 },
      { ...request, serial: 'X'.repeat(65) },
      { ...request, product: 'not a code!' },
      { ...request, product: 12 },
      { ...request, owner: [] },
      { ...request, owner: null },
      { ...request, owner: { name: 1 } },
      { ...request, owner: { ['k'.repeat(65)]: 'v' } },
      { ...request, hardware: { ...request.hardware, nics: 'none' } },
      { ...request, hardware: { ...request.hardware, ramBytes: -1 } },
      { ...request, hardware: null },
      { ...request, createdAt: 'yesterday' },
      { ...request, nonce: null },
      { ...request, proof: undefined },
    ];
    for (const value of cases) {
      const json = value === undefined ? '' : JSON.stringify(value);
      assertCode(() => decodeRequestFile(armor(withChecksum(utf8(json)))), 'LICTOR_E_FILE_FORMAT', json.slice(0, 60));
    }
    // Not UTF-8.
    assertCode(
      () => decodeRequestFile(armor(withChecksum(Uint8Array.of(0x7b, 0xff, 0xfe, 0x7d)))),
      'LICTOR_E_FILE_FORMAT',
      'invalid UTF-8',
    );
  });

  test('another version or kind in the header', () => {
    const json = utf8(JSON.stringify(request));
    assertCode(() => decodeRequestFile(armor(withChecksum(json, 2))), 'LICTOR_E_FILE_VERSION', 'version 2');
    assertCode(() => decodeRequestFile(armor(withChecksum(json, 1, 1))), 'LICTOR_E_FILE_FORMAT', 'license kind');
    // The header as it must be.
    assert.deepEqual(decodeRequestFile(armor(withChecksum(json))), request);
  });
});

describe('pasted and mailed request files', () => {
  const lines = requestText.trimEnd().split('\n');
  const body = lines.slice(1, -1).join('');

  test('survives what e-mail clients and editors do', () => {
    const variants: [string, string][] = [
      ['CRLF', requestText.replaceAll('\n', '\r\n')],
      ['CR', requestText.replaceAll('\n', '\r')],
      ['quoted "> "', lines.map((l) => `> ${l}`).join('\n')],
      ['quoted twice', lines.map((l) => `>> ${l}`).join('\r\n')],
      ['quoted without space', lines.map((l) => `>${l}`).join('\n')],
      ['indented', lines.map((l) => `    ${l}`).join('\n')],
      ['trailing spaces', lines.map((l) => `${l}   `).join('\n')],
      ['re-wrapped at 76', [lines[0], ...(body.match(/.{1,76}/g) ?? []), lines.at(-1)].join('\n')],
      ['joined to one line', [lines[0], body, lines.at(-1)].join('\n')],
      ['blank lines between', lines.join('\n\n')],
      [
        'text around',
        `Hello support,\n\nplease find my activation request below.\n\n${requestText}\nBest regards,\nAnna\n-- \nKeller & Söhne`,
      ],
      [
        'all of it',
        `On Fri, 14 Mar 2025 Anna wrote:\r\n> Here it is:\r\n>\r\n${[
          lines[0],
          ...(body.match(/.{1,76}/g) ?? []),
          lines.at(-1),
        ]
          .map((l) => `> ${l}`)
          .join('\r\n')}\r\n>\r\n> Anna\r\n`,
      ],
    ];
    for (const [what, text] of variants) {
      const decoded = decodeRequestFile(text);
      assert.deepEqual(decoded, request, what);
      assert.ok(requestProvesPin(decoded, PIN), what);
    }
  });

  test('a LICTOR LICENSE (or BLACKLIST) block is refused with FILE_FORMAT and says what it is', () => {
    const doc: LicenseDocument = {
      format: 1,
      containerId: 'c1',
      activationId: 'a1',
      serial: SERIAL,
      pin: 1,
      issuedAt: '2025-03-14T09:27:00.000Z',
      counter: 0,
      owner: owner(),
      binding: { kind: 'hardware', hardware: hardware() },
      licenses: [
        { product: 'ACME.CAD', type: 'single', users: 1, sessions: null, arch: null, expiresAt: null, features: [] },
      ],
    };
    const license = encodeLicenseFile(doc, signer);
    let err = assertCode(() => decodeRequestFile(license), 'LICTOR_E_FILE_FORMAT', 'license');
    assert.match(err.message, /LICTOR LICENSE block/);
    const blacklist = encodeBlacklist({ format: 1, issuedAt: doc.issuedAt, serials: [], activations: [] }, signer);
    err = assertCode(() => decodeRequestFile(blacklist), 'LICTOR_E_FILE_FORMAT', 'blacklist');
    assert.match(err.message, /LICTOR BLACKLIST block/);
    // And the other way round.
    err = assertCode(() => dearmor('license', requestText), 'LICTOR_E_FILE_FORMAT', 'request as license');
    assert.match(err.message, /LICTOR REQUEST block/);
  });

  test('no block, a missing END line, or non-base64 inside', () => {
    assertCode(() => decodeRequestFile(''), 'LICTOR_E_FILE_FORMAT', 'empty');
    assertCode(() => decodeRequestFile(body), 'LICTOR_E_FILE_FORMAT', 'bare base64');
    assertCode(() => decodeRequestFile(lines.slice(0, -1).join('\n')), 'LICTOR_E_FILE_TRUNCATED', 'no END');
    assertCode(
      () => decodeRequestFile(requestText.replace(/\n([A-Za-z0-9+/]{10})/, '\n$1*')),
      'LICTOR_E_FILE_FORMAT',
      'star',
    );
    assertCode(() => decodeRequestFile(`${'x'.repeat(1024 * 1024)}${requestText}`), 'LICTOR_E_FILE_FORMAT', 'too long');
  });
});

describe('fuzzing decodeRequestFile', () => {
  const mustBeLictorError = (text: string) => {
    try {
      decodeRequestFile(text);
    } catch (e) {
      if (!(e instanceof LictorError)) throw e;
      assert.ok(ALLOWED_DECODE_CODES.includes(e.code), `${e.code}: ${e.message}`);
    }
  };

  test('random strings only ever fail with a LictorError', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 400 }), mustBeLictorError), { numRuns: 500 });
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (inner) =>
        mustBeLictorError(`-----BEGIN LICTOR REQUEST-----\n${inner}\n-----END LICTOR REQUEST-----\n`),
      ),
      { numRuns: 500 },
    );
  });

  test('random base64 between the armor lines only ever fails with a LictorError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.boolean(), (bytes, withMagic) => {
        const b = bytes.slice();
        if (withMagic && b.length >= 6) b.set([0x4c, 0x43, 0x54, 0x52, 1, 3]);
        mustBeLictorError(armor(b));
      }),
      { numRuns: 500 },
    );
  });

  test('random JSON with a right checksum is decoded or refused with FILE_FORMAT, never crashes', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        mustBeLictorError(armor(withChecksum(utf8(JSON.stringify(value) ?? 'null'))));
      }),
      { numRuns: 300 },
    );
  });

  test('a request with one field replaced by random JSON is decoded or refused with FILE_FORMAT', () => {
    const keys = ['format', 'serial', 'product', 'owner', 'hardware', 'nonce', 'createdAt', 'proof'] as const;
    const hwKeys = Object.keys(request.hardware);
    fc.assert(
      fc.property(
        fc.constantFrom(...keys, ...hwKeys.map((k) => `hardware.${k}`)),
        fc.jsonValue({ maxDepth: 3 }),
        (key, value) => {
          const doc = structuredClone(request) as unknown as Record<string, unknown>;
          if (key.startsWith('hardware.')) (doc.hardware as Record<string, unknown>)[key.slice(9)] = value;
          else doc[key] = value;
          let decoded: RequestDocument;
          try {
            decoded = decodeRequestFile(armor(withChecksum(utf8(JSON.stringify(doc)))));
          } catch (e) {
            if (!(e instanceof LictorError)) throw e;
            assert.equal(e.code, 'LICTOR_E_FILE_FORMAT', e.message);
            return;
          }
          // Accepted: then it has the documented shape.
          assert.equal(typeof decoded.serial, 'string');
          assert.equal(typeof decoded.nonce, 'string');
          assert.equal(typeof decoded.proof, 'string');
          assert.ok(decoded.product === null || typeof decoded.product === 'string');
          assert.ok(!Number.isNaN(Date.parse(decoded.createdAt)));
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe('request file size', () => {
  test('a request from a server with 8 NICs, 4 disks and 2 CPUs stays under 4 KiB', (t) => {
    const r = createRequest(
      {
        ...fields(),
        owner: {
          name: 'Dr. Anna-Lena Keller-Schmidt',
          company: 'Keller & Söhne Maschinenbau GmbH & Co. KG',
          email: 'anna-lena.keller-schmidt@keller-soehne-maschinenbau.example',
          phone: '+49 711 123456-789',
          address: 'Industriestraße 123, 70565 Stuttgart, Germany',
        },
        hardware: bigHardware(),
      },
      PIN,
    );
    const text = encodeRequestFile(r);
    t.diagnostic(`request file: ${text.length} characters, ${dearmor('request', text).length} bytes`);
    assert.ok(text.length < 4096, `${text.length} characters`);
    assert.deepEqual(decodeRequestFile(text), r);
    assert.ok(requestProvesPin(decodeRequestFile(text), PIN));
  });
});

describe('request codes', () => {
  const nonce = Uint8Array.of(0xde, 0xad, 0xbe, 0xef);
  const codeFields = () => ({
    serial: SERIAL,
    nonce,
    createdAt: new Date('2025-03-14T09:26:53Z'),
    owner: owner(),
    hardware: hardware(),
  });

  test('round trip: serial, nonce (hex), day, subject digest', () => {
    const bytes = createRequestCode(codeFields(), PIN);
    assert.equal(bytes.length, 31); // kind, serial (8), nonce (4), day (2), subject (10), proof (6)
    const parsed = parseRequestCode(bytes);
    assert.equal(parsed.serial, SERIAL);
    assert.equal(parsed.nonce, 'deadbeef');
    assert.equal(parsed.createdAt, '2025-03-14T00:00:00.000Z');
    assert.equal(parsed.subject, subjectDigest(owner(), hardware()));
    assert.equal(parsed.proof.length, 6);
  });

  test("the PIN's tag: its first 16 bits in the code, all 48 in a file; codes made before tags still prove", () => {
    const bytes = createRequestCode(codeFields(), PIN);
    const tag = pinTag(SERIAL, PIN);
    assert.match(tag, /^[0-9a-f]{12}$/);
    assert.equal(parseRequestCode(bytes).pinTagPrefix, tag.slice(0, 4));
    assert.notEqual(pinTag(SERIAL, '1K1ZM-7Q0PA-1X4RT'), tag, 'another PIN, another tag');
    // A code of the first kind (0x11): the whole 48-bit proof, no tag.
    const body = Uint8Array.from(bytes.subarray(0, bytes.length - 6));
    body[0] = 0x11;
    const proof = hmacSha256(utf8(PIN), new Uint8Array([...utf8('lictor/v1/request-code-proof\0'), ...body]));
    const legacy = new Uint8Array([...body, ...proof.subarray(0, 6)]);
    assert.equal(parseRequestCode(legacy).pinTagPrefix, undefined);
    assert.ok(requestCodeProvesPin(legacy, PIN));
    assert.ok(!requestCodeProvesPin(legacy, '1K1ZM-7Q0PA-1X4RT'));
  });

  test('round trip through the typed short code (11 groups of 6)', () => {
    const code = encodeShortCode(createRequestCode(codeFields(), PIN));
    assert.match(code, /^([0-9A-HJKMNP-TV-Z]{6}-){10}[0-9A-HJKMNP-TV-Z]{6}$/);
    const typed = code.toLowerCase().replaceAll('-', ' ').replaceAll('0', 'o');
    const bytes = decodeShortCode(typed, 'request code');
    assert.equal(parseRequestCode(bytes).serial, SERIAL);
    assert.ok(requestCodeProvesPin(bytes, PIN));
  });

  test('property: random serials, nonces, days, owners and hardware round-trip', () => {
    const crockford = fc.constantFrom(...'0123456789ABCDEFGHJKMNPQRSTVWXYZ');
    fc.assert(
      fc.property(
        fc.array(crockford, { minLength: 12, maxLength: 12 }),
        fc.uint8Array({ minLength: 4, maxLength: 16 }),
        fc.date({ min: new Date('2024-01-01T00:00:00Z'), max: new Date('2150-12-31T23:59:59Z'), noInvalidDate: true }),
        fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), fc.string({ maxLength: 40 }), {
          noNullPrototype: true,
        }),
        fc.array(fc.constantFrom('52:54:00:12:34:56', 'a4:bb:6d:01:02:03', '3c:ec:ef:00:a1:b2'), { maxLength: 3 }),
        (serialChars, nonceBytes, date, o, nics) => {
          const serial = `LX-${serialChars.slice(0, 4).join('')}-${serialChars.slice(4, 8).join('')}-${serialChars.slice(8).join('')}`;
          const hw = { ...hardware(), nics };
          const typedSerial = serial.toLowerCase().replaceAll('-', ' ');
          const bytes = createRequestCode(
            { serial: typedSerial, nonce: nonceBytes, createdAt: date, owner: o, hardware: hw },
            PIN,
          );
          const parsed = parseRequestCode(bytes);
          assert.equal(parsed.serial, serial);
          assert.equal(parsed.nonce, Buffer.from(nonceBytes.subarray(0, 4)).toString('hex'));
          const day = new Date(date);
          day.setUTCHours(0, 0, 0, 0);
          assert.equal(parsed.createdAt, day.toISOString());
          assert.equal(parsed.subject, subjectDigest(o, hw));
          assert.ok(requestCodeProvesPin(bytes, PIN));
        },
      ),
      { numRuns: 200 },
    );
  });

  test('the subject does not depend on the order of listed hardware', () => {
    const a = createRequestCode(
      { ...codeFields(), hardware: { ...hardware(), nics: ['b', 'a'], disks: ['y', 'x'] } },
      PIN,
    );
    const b = createRequestCode(
      { ...codeFields(), hardware: { ...hardware(), nics: ['a', 'b'], disks: ['x', 'y'] } },
      PIN,
    );
    assert.deepEqual(a, b);
  });

  test('proves the PIN however it is typed, and no other PIN', () => {
    const bytes = createRequestCode(codeFields(), PIN);
    for (const pin of PIN_SPELLINGS) assert.ok(requestCodeProvesPin(bytes, pin), JSON.stringify(pin));
    for (const pin of OTHER_PINS) assert.ok(!requestCodeProvesPin(bytes, pin), JSON.stringify(pin));
  });

  test('the code never contains the PIN', () => {
    const code = encodeShortCode(createRequestCode(codeFields(), PIN));
    for (const form of [PIN, PIN.replaceAll('-', ''), ...PIN.split('-')]) {
      assert.ok(!code.replaceAll('-', '').includes(form.replaceAll('-', '')), form);
    }
  });

  test('changing any byte to any other value breaks the parse or the proof (exhaustive)', () => {
    const bytes = createRequestCode(codeFields(), PIN);
    let parseFailures = 0;
    let sameParse = 0;
    for (let i = 0; i < bytes.length; i++) {
      for (let v = 0; v < 256; v++) {
        if (v === bytes[i]) continue;
        const changed = bytes.slice();
        changed[i] = v;
        let parsed: ReturnType<typeof parseRequestCode>;
        try {
          parsed = parseRequestCode(changed);
        } catch (e) {
          assert.ok(e instanceof LictorError && e.code === 'LICTOR_E_CODE_INVALID', String(e));
          parseFailures++;
          continue;
        }
        assert.ok(!requestCodeProvesPin(changed, PIN), `byte ${i} = ${v}`);
        if (parsed.serial === SERIAL && parsed.nonce === 'deadbeef' && i === 1) sameParse++;
      }
    }
    // The kind byte (254 other values: the kind of codes made before PIN tags still parses, and
    // its proof fails) and, in the serial's first byte, the 4 unused top bits (15 × 16 values)
    // are refused by the parser; every other change is caught by the proof.
    assert.equal(parseFailures, 254 + 15 * 16);
    assert.equal(sameParse, 0);
  });

  test('byte strings that are not request codes → CODE_INVALID', () => {
    const good = createRequestCode(codeFields(), PIN);
    const answer = encodeAnswerCode({
      activationId: '0011223344556677',
      pin: 1,
      issuedAt: '2025-03-14T09:27:00.000Z',
      entry: {
        product: 'ACME.CAD',
        type: 'single',
        users: 1,
        sessions: null,
        arch: null,
        expiresAt: null,
        features: [],
      },
      signature: new Uint8Array(64),
    });
    const notCodes: [string, Uint8Array][] = [
      ['empty', new Uint8Array(0)],
      ['one byte short', good.subarray(0, 30)],
      ['one byte long', Uint8Array.of(...good, 0)],
      ['kind byte of an answer', Uint8Array.of(0x21, ...good.subarray(1))],
      ['zero kind', Uint8Array.of(0, ...good.subarray(1))],
      ['an answer code', answer],
      ['answer code cut to 31 bytes', answer.subarray(0, 31)],
      ['the request file', requestBytes],
      ['UTF-8 text', utf8('LX-7K2M-9QHT-D4WZ 0K1ZM-7Q0PA')],
    ];
    for (const [what, bytes] of notCodes) {
      const err = assertCode(() => parseRequestCode(bytes), 'LICTOR_E_CODE_INVALID', what);
      assert.match(err.message, /not a Lictor request code/);
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 60 }), (bytes) => {
        fc.pre(bytes.length !== 31 || bytes[0] !== 0x11);
        assertCode(() => parseRequestCode(bytes), 'LICTOR_E_CODE_INVALID', Buffer.from(bytes).toString('hex'));
      }),
      { numRuns: 300 },
    );
  });

  test('every request code survives its short code', () => {
    // This nonce once made the code's digest look like padding (decoded with extra bytes).
    const bytes = createRequestCode({ ...codeFields(), nonce: Uint8Array.of(0x00, 0x02, 0x73, 0x5a) }, PIN);
    assert.deepEqual(decodeShortCode(encodeShortCode(bytes)), bytes);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (nonce) => {
        const b = createRequestCode({ ...codeFields(), nonce }, PIN);
        assert.deepEqual(
          parseRequestCode(decodeShortCode(encodeShortCode(b))).nonce,
          Buffer.from(nonce).toString('hex'),
        );
      }),
      { numRuns: 300 },
    );
  });
});
