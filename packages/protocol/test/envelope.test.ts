/**
 * The sealed, armored envelope through its two users: license files and blacklists. Round trips,
 * exhaustive tampering and truncation, tolerant parsing of pasted text, key confusion and forgery,
 * and the schema check of the signed payload.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import fc from 'fast-check';
import {
  type BlacklistDocument,
  dearmor,
  decodeBlacklist,
  decodeLicenseFile,
  type ErrorCode,
  encodeBlacklist,
  encodeLicenseFile,
  generateVendorKeys,
  hardwareBindingOf,
  type LicenseDocument,
  LictorError,
  loadSigner,
  MAX_ARMORED_LENGTH,
  parseLicenseDocument,
  parsePublicKey,
  sealDocument,
  type VendorPublicKey,
  type VendorSigner,
} from '../src/index.js';
import { armorLines, assertCode, refusal } from './refusal.js';

const GiB = 1024 ** 3;
const SERIAL = 'LX-7K2M-9QHT-D4WZ';
const EMAIL = 'anna.keller@example.org';

function sampleDoc(): LicenseDocument {
  return {
    format: 1,
    containerId: 'c_5f1d8a2e9b7c4a31',
    activationId: 'a_0c9e2b7f14d84e66',
    serial: SERIAL,
    pin: 2,
    issuedAt: '2025-03-14T09:26:53.000Z',
    counter: 0,
    owner: { name: 'Anna Keller', company: 'Keller & Söhne GmbH', email: EMAIL },
    binding: {
      kind: 'hardware',
      hardware: {
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
      },
    },
    licenses: [
      {
        product: 'ACME.CAD',
        type: 'single',
        users: 1,
        sessions: null,
        arch: null,
        expiresAt: '2026-03-14T00:00:00.000Z',
        features: [
          { code: 'render', users: null },
          { code: 'export-dwg', users: 3 },
        ],
      },
      {
        product: 'ACME.SRV',
        type: 'server-sessions',
        users: 1,
        sessions: 10,
        arch: 'x64',
        expiresAt: null,
        features: [],
      },
    ],
  };
}

const ALLOWED_TAMPER_CODES: ErrorCode[] = [
  'LICTOR_E_FILE_FORMAT',
  'LICTOR_E_FILE_VERSION',
  'LICTOR_E_WRONG_VENDOR',
  'LICTOR_E_FILE_TAMPERED',
  'LICTOR_E_SIGNATURE_INVALID',
  'LICTOR_E_FILE_TRUNCATED',
];

let signer: VendorSigner;
let publicKey: VendorPublicKey;
let otherSigner: VendorSigner;
let otherPublicKey: VendorPublicKey;
let licenseText: string;
let licenseBytes: Uint8Array;

before(() => {
  const keys = generateVendorKeys();
  signer = loadSigner(keys.privatePem);
  publicKey = parsePublicKey(keys.publicKey);
  const other = generateVendorKeys();
  otherSigner = loadSigner(other.privatePem);
  otherPublicKey = parsePublicKey(other.publicKey);
  licenseText = encodeLicenseFile(sampleDoc(), signer);
  licenseBytes = dearmor('license', licenseText);
});

describe('license file round trip', () => {
  test('decodes to the encoded document', () => {
    assert.deepEqual(decodeLicenseFile(licenseText, publicKey), sampleDoc());
  });

  test('the public key text parsed again verifies too', () => {
    assert.deepEqual(decodeLicenseFile(licenseText, parsePublicKey(` ${publicKey.text}\n`)), sampleDoc());
  });

  test('the signer and the parsed public key agree', () => {
    assert.deepEqual(signer.publicKey.raw, publicKey.raw);
    assert.deepEqual(signer.publicKey.keyId, publicKey.keyId);
    assert.equal(signer.publicKey.text, publicKey.text);
  });

  test('the armored form is the 64-column block the test helper reproduces', () => {
    assert.match(
      licenseText,
      /^-----BEGIN LICTOR LICENSE-----\n([A-Za-z0-9+/=]{1,64}\n)+-----END LICTOR LICENSE-----\n$/,
    );
    assert.equal(armorLines('license', licenseBytes), licenseText);
  });

  test('the contents are not plain text (no serial, no e-mail, no owner name)', () => {
    for (const secret of [SERIAL, EMAIL, 'Anna Keller', 'ACME.CAD', '52:54:00:12:34:56']) {
      assert.ok(!licenseText.includes(secret), `armored text contains ${secret}`);
      assert.ok(!Buffer.from(licenseBytes).includes(Buffer.from(secret)), `binary envelope contains ${secret}`);
    }
  });

  test('two encodings of the same document differ (random salt and IV) and both decode', () => {
    const again = encodeLicenseFile(sampleDoc(), signer);
    assert.notEqual(again, licenseText);
    assert.deepEqual(decodeLicenseFile(again, publicKey), sampleDoc());
  });
});

describe('tampering with the binary envelope', () => {
  test('flipping any single byte is refused with an envelope error', () => {
    const seen = new Set<ErrorCode>();
    for (let i = 0; i < licenseBytes.length; i++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const bytes = Uint8Array.from(licenseBytes);
        bytes[i] = (bytes[i] as number) ^ mask;
        const err = assertCode(
          () => decodeLicenseFile(armorLines('license', bytes), publicKey),
          ALLOWED_TAMPER_CODES,
          `byte ${i} ^ 0x${mask.toString(16)}`,
        );
        seen.add(err.code);
      }
    }
    // The header fields are checked one by one, the rest by the GCM tag.
    for (const code of [
      'LICTOR_E_FILE_FORMAT',
      'LICTOR_E_FILE_VERSION',
      'LICTOR_E_WRONG_VENDOR',
      'LICTOR_E_FILE_TAMPERED',
    ] as const) {
      assert.ok(seen.has(code), `no byte flip produced ${code}`);
    }
  });

  test('each header region is reported with its own code', () => {
    const flip = (i: number) => {
      const bytes = Uint8Array.from(licenseBytes);
      bytes[i] = (bytes[i] as number) ^ 0x01;
      return armorLines('license', bytes);
    };
    for (const i of [0, 1, 2, 3]) assertCode(() => decodeLicenseFile(flip(i), publicKey), 'LICTOR_E_FILE_FORMAT');
    assertCode(() => decodeLicenseFile(flip(4), publicKey), 'LICTOR_E_FILE_VERSION');
    assertCode(() => decodeLicenseFile(flip(5), publicKey), 'LICTOR_E_FILE_FORMAT');
    for (let i = 6; i < 14; i++) assertCode(() => decodeLicenseFile(flip(i), publicKey), 'LICTOR_E_WRONG_VENDOR');
    // salt, IV, ciphertext and tag
    for (const i of [14, 29, 30, 41, 42, licenseBytes.length - 17, licenseBytes.length - 1]) {
      assertCode(() => decodeLicenseFile(flip(i), publicKey), 'LICTOR_E_FILE_TAMPERED');
    }
  });

  test('appended or removed bytes are refused', () => {
    const longer = Uint8Array.from([...licenseBytes, 0]);
    assertCode(() => decodeLicenseFile(armorLines('license', longer), publicKey), ALLOWED_TAMPER_CODES);
    for (let n = 0; n < licenseBytes.length; n++) {
      assertCode(
        () => decodeLicenseFile(armorLines('license', licenseBytes.subarray(0, n)), publicKey),
        ['LICTOR_E_FILE_TRUNCATED', 'LICTOR_E_FILE_FORMAT', 'LICTOR_E_FILE_TAMPERED'],
        `binary cut to ${n} bytes`,
      );
    }
  });
});

describe('tampering with the armored text', () => {
  test('XOR 0x01 on any character: refused, or (white space only) the identical payload', () => {
    const original = decodeLicenseFile(licenseText, publicKey);
    let whitespaceChanges = 0;
    for (let i = 0; i < licenseText.length; i++) {
      const ch = licenseText.charCodeAt(i);
      const text = licenseText.slice(0, i) + String.fromCharCode(ch ^ 0x01) + licenseText.slice(i + 1);
      const isSpace = /\s/.test(licenseText[i] as string);
      let decoded: LicenseDocument;
      try {
        decoded = decodeLicenseFile(text, publicKey);
      } catch (e) {
        assert.ok(e instanceof LictorError, `char ${i}: threw ${String(e)}`);
        assert.ok(ALLOWED_TAMPER_CODES.includes(e.code), `char ${i}: unexpected code ${e.code}`);
        continue;
      }
      assert.ok(isSpace, `char ${i} (${JSON.stringify(licenseText[i])}) changed yet the file decoded`);
      assert.deepEqual(decoded, original);
      whitespaceChanges++;
    }
    assert.ok(whitespaceChanges > 0, 'line breaks turned into vertical tabs should still decode');
  });

  test('truncation at every length is refused (until the END line is complete)', () => {
    const endLine = '-----END LICTOR LICENSE-----';
    const complete = licenseText.indexOf(endLine) + endLine.length;
    for (let n = 0; n < licenseText.length; n++) {
      const text = licenseText.slice(0, n);
      if (n >= complete) {
        assert.deepEqual(decodeLicenseFile(text, publicKey), sampleDoc(), `cut at ${n} keeps the whole block`);
        continue;
      }
      assertCode(
        () => decodeLicenseFile(text, publicKey),
        ['LICTOR_E_FILE_TRUNCATED', 'LICTOR_E_FILE_FORMAT'],
        `text cut to ${n} chars`,
      );
    }
  });

  test('a cut inside the block names the missing END line', () => {
    const err = assertCode(() => decodeLicenseFile(licenseText.slice(0, 200), publicKey), 'LICTOR_E_FILE_TRUNCATED');
    assert.match(err.message, /END LICTOR LICENSE/);
  });

  test('lines dropped from the middle of the block are refused', () => {
    const lines = licenseText.split('\n');
    for (let i = 1; i < lines.length - 2; i++) {
      const text = [...lines.slice(0, i), ...lines.slice(i + 1)].join('\n');
      assertCode(() => decodeLicenseFile(text, publicKey), ALLOWED_TAMPER_CODES, `line ${i} dropped`);
    }
  });
});

describe('tolerant parsing of pasted text', () => {
  const body = () => licenseText.trimEnd().split('\n');
  const variants: [string, () => string][] = [
    ['CRLF line endings', () => licenseText.replaceAll('\n', '\r\n')],
    ['old Mac CR line endings', () => licenseText.replaceAll('\n', '\r')],
    [
      'extra indentation',
      () =>
        body()
          .map((l) => `    ${l}`)
          .join('\n'),
    ],
    [
      'tabs and trailing spaces',
      () =>
        body()
          .map((l) => `\t${l}  \t`)
          .join('\n'),
    ],
    [
      'e-mail quoting "> "',
      () =>
        body()
          .map((l) => `> ${l}`)
          .join('\n'),
    ],
    [
      'nested e-mail quoting "> > "',
      () =>
        body()
          .map((l) => `> > ${l}`)
          .join('\r\n'),
    ],
    [
      'quoting without a space ">"',
      () =>
        body()
          .map((l) => `>${l}`)
          .join('\n'),
    ],
    ['re-wrapped at 76 characters', () => armorLines('license', licenseBytes, 76)],
    ['joined into one line', () => armorLines('license', licenseBytes, 100_000)],
    ['blank lines inside the block', () => licenseText.replaceAll('\n', '\n\n')],
    [
      'text before and after the block',
      () => `Hello Anna,\n\nhere is your license file:\n\n${licenseText}\nBest regards,\nACME Support\n`,
    ],
    ['no final newline', () => licenseText.trimEnd()],
    ['spaces inside base64 lines', () => licenseText.replace(/^([A-Za-z0-9+/]{8})/gm, '$1 ')],
    [
      'everything combined',
      () =>
        `Forwarded:\r\n${armorLines('license', licenseBytes, 76)
          .trimEnd()
          .split('\n')
          .map((l) => `>   ${l} `)
          .join('\r\n')}\r\n> -- \r\n> signature\r\n`,
    ],
  ];
  for (const [name, make] of variants) {
    test(name, () => {
      assert.deepEqual(decodeLicenseFile(make(), publicKey), sampleDoc());
    });
  }

  test('a stray character inside the block is refused with its line number', () => {
    const lines = licenseText.split('\n');
    lines[3] = `${lines[3]?.slice(0, 10)}*${lines[3]?.slice(10)}`;
    const err = assertCode(() => decodeLicenseFile(lines.join('\n'), publicKey), 'LICTOR_E_FILE_FORMAT');
    // The BEGIN line is line 1, so the 4th line of the file is reported as line 4.
    assert.match(err.message, /line 4\b/);
  });
});

describe('keys, kinds and forgery', () => {
  test('another vendor key → WRONG_VENDOR', () => {
    const err = assertCode(() => decodeLicenseFile(licenseText, otherPublicKey), 'LICTOR_E_WRONG_VENDOR');
    assert.ok(err.message.includes(Buffer.from(publicKey.keyId).toString('hex')), err.message);
  });

  test('a blacklist block given to the license decoder → FILE_FORMAT naming the block', () => {
    const blacklist = encodeBlacklist(
      { format: 1, issuedAt: '2025-03-14T00:00:00.000Z', serials: [], activations: [] },
      signer,
    );
    const err = assertCode(() => decodeLicenseFile(blacklist, publicKey), 'LICTOR_E_FILE_FORMAT');
    assert.match(err.message, /BLACKLIST/);
  });

  test('a license block given to the blacklist decoder → FILE_FORMAT', () => {
    assertCode(() => decodeBlacklist(licenseText, publicKey), 'LICTOR_E_FILE_FORMAT');
  });

  test('a blacklist envelope relabeled as a license → FILE_FORMAT (kind byte)', () => {
    const blacklist = encodeBlacklist(
      { format: 1, issuedAt: '2025-03-14T00:00:00.000Z', serials: [], activations: [] },
      signer,
    );
    const relabeled = blacklist.replaceAll('LICTOR BLACKLIST', 'LICTOR LICENSE');
    assertCode(() => decodeLicenseFile(relabeled, publicKey), 'LICTOR_E_FILE_FORMAT');
  });

  test('a license envelope whose kind byte is changed to blacklist → refused', () => {
    const bytes = Uint8Array.from(licenseBytes);
    bytes[5] = 2;
    // The kind byte is GCM associated data and the key and signature are domain-separated.
    assertCode(() => decodeBlacklist(armorLines('blacklist', bytes), publicKey), ALLOWED_TAMPER_CODES);
  });

  test('not a Lictor file at all → FILE_FORMAT', () => {
    assertCode(() => decodeLicenseFile('', publicKey), 'LICTOR_E_FILE_FORMAT');
    assertCode(() => decodeLicenseFile('{"serial":"LX-0000-0000-0000"}', publicKey), 'LICTOR_E_FILE_FORMAT');
    assertCode(
      () => decodeLicenseFile('-----BEGIN PGP MESSAGE-----\nabc\n-----END PGP MESSAGE-----\n', publicKey),
      'LICTOR_E_FILE_FORMAT',
    );
  });

  test('a valid Lictor-armored envelope of some other format → FILE_FORMAT', () => {
    assertCode(() => decodeLicenseFile(armorLines('license', new Uint8Array(200)), publicKey), 'LICTOR_E_FILE_FORMAT');
  });

  test('signed by another key, encrypted for the victim (forged envelope) → SIGNATURE_INVALID', () => {
    const forger: VendorSigner = {
      publicKey: signer.publicKey, // victim's raw key and key id: encryption and key id check pass
      sign: (data) => otherSigner.sign(data),
    };
    const forged = sealDocument(
      'license',
      { ...sampleDoc(), licenses: [{ ...sampleDoc().licenses[0], expiresAt: null }] },
      forger,
    );
    assertCode(() => decodeLicenseFile(forged, publicKey), 'LICTOR_E_SIGNATURE_INVALID');
  });

  test('a forged envelope with an all-zero or truncated signature → SIGNATURE_INVALID', () => {
    for (const sig of [new Uint8Array(64), new Uint8Array(0), new Uint8Array(63)]) {
      const forger: VendorSigner = { publicKey: signer.publicKey, sign: () => sig };
      assertCode(
        () => decodeLicenseFile(sealDocument('license', sampleDoc(), forger), publicKey),
        ['LICTOR_E_SIGNATURE_INVALID', 'LICTOR_E_FILE_FORMAT'],
      );
    }
  });

  test('a signature over a blacklist cannot be moved into a license (domain separation)', () => {
    // The attacker can decrypt (the key derives from the public key) and re-encrypt; here the
    // vendor's real signature made for the blacklist domain is reused for a license.
    let blacklistSignature: Uint8Array = new Uint8Array();
    const capture: VendorSigner = {
      publicKey: signer.publicKey,
      sign: (data) => {
        blacklistSignature = signer.sign(data);
        return blacklistSignature;
      },
    };
    sealDocument('blacklist', sampleDoc(), capture);
    const replay: VendorSigner = { publicKey: signer.publicKey, sign: () => blacklistSignature };
    assertCode(
      () => decodeLicenseFile(sealDocument('license', sampleDoc(), replay), publicKey),
      'LICTOR_E_SIGNATURE_INVALID',
    );
  });

  test('input larger than MAX_ARMORED_LENGTH → FILE_FORMAT before parsing', () => {
    const padding = 'x'.repeat(MAX_ARMORED_LENGTH);
    assertCode(() => decodeLicenseFile(licenseText + padding, publicKey), 'LICTOR_E_FILE_FORMAT');
    assertCode(() => decodeLicenseFile(padding + licenseText, publicKey), 'LICTOR_E_FILE_FORMAT');
    // Exactly at the limit is still read.
    const filler = ' '.repeat(MAX_ARMORED_LENGTH - licenseText.length);
    assert.deepEqual(decodeLicenseFile(filler + licenseText, publicKey), sampleDoc());
  });

  test('malformed public keys → PUBLIC_KEY_INVALID', () => {
    for (const text of [
      '',
      publicKey.text.slice(0, -1),
      `${publicKey.text}A`,
      publicKey.text.replace('lictor-ed25519:', 'lictor-ed448:'),
      publicKey.text.replace('lictor-ed25519:', ''),
      `lictor-ed25519:${'A'.repeat(42)}=`,
    ]) {
      assertCode(() => parsePublicKey(text), 'LICTOR_E_PUBLIC_KEY_INVALID', JSON.stringify(text));
    }
  });
});

describe('payload schema (parseLicenseDocument)', () => {
  type Mutate = (d: Record<string, unknown> & LicenseDocument) => void;
  const entry = (d: LicenseDocument) => d.licenses[0] as unknown as Record<string, unknown>;
  const cases: [string, Mutate][] = [
    ['format', (d) => delete (d as Partial<LicenseDocument>).format],
    ['format', (d) => Object.assign(d, { format: 2 })],
    ['containerId', (d) => delete (d as Partial<LicenseDocument>).containerId],
    ['containerId', (d) => Object.assign(d, { containerId: 42 })],
    ['containerId', (d) => Object.assign(d, { containerId: 'x'.repeat(65) })],
    ['activationId', (d) => delete (d as Partial<LicenseDocument>).activationId],
    ['serial', (d) => delete (d as Partial<LicenseDocument>).serial],
    ['serial', (d) => Object.assign(d, { serial: null })],
    ['pin', (d) => delete (d as Partial<LicenseDocument>).pin],
    ['pin', (d) => Object.assign(d, { pin: 0 })],
    ['pin', (d) => Object.assign(d, { pin: '2' })],
    ['pin', (d) => Object.assign(d, { pin: 1.5 })],
    ['issuedAt', (d) => delete (d as Partial<LicenseDocument>).issuedAt],
    ['issuedAt', (d) => Object.assign(d, { issuedAt: 'yesterday' })],
    ['issuedAt', (d) => Object.assign(d, { issuedAt: 1_700_000_000_000 })],
    ['counter', (d) => delete (d as Partial<LicenseDocument>).counter],
    ['counter', (d) => Object.assign(d, { counter: -1 })],
    ['owner', (d) => delete (d as Partial<LicenseDocument>).owner],
    ['owner', (d) => Object.assign(d, { owner: ['Anna'] })],
    ['owner.email', (d) => Object.assign(d.owner, { email: 42 })],
    ['binding', (d) => delete (d as Partial<LicenseDocument>).binding],
    [
      'binding',
      (d) => Object.assign(d, { binding: { kind: 'dongle', hardware: (d.binding as { hardware: unknown }).hardware } }),
    ],
    ['binding.token', (d) => Object.assign(d, { binding: { kind: 'token', publicKey: 'lictor-p256:x' } })],
    ['binding', (d) => Object.assign(d.binding, { hardware: { ...hardwareBindingOf(d).hardware, ramBytes: '16G' } })],
    ['licenses', (d) => delete (d as Partial<LicenseDocument>).licenses],
    ['licenses', (d) => Object.assign(d, { licenses: [] })],
    ['licenses', (d) => Object.assign(d, { licenses: {} })],
    ['licenses[0]', (d) => Object.assign(d, { licenses: [null] })],
    ['licenses[0].product', (d) => delete entry(d).product],
    ['licenses[0].product', (d) => Object.assign(entry(d), { product: 'p'.repeat(65) })],
    ['licenses[0].type', (d) => delete entry(d).type],
    ['licenses[0].type', (d) => Object.assign(entry(d), { type: 'combined' })],
    ['licenses[0].users', (d) => Object.assign(entry(d), { users: 0 })],
    ['licenses[0].users', (d) => delete entry(d).users],
    ['licenses[0].sessions', (d) => delete entry(d).sessions],
    ['licenses[0].sessions', (d) => Object.assign(entry(d), { sessions: 0 })],
    ['licenses[0].arch', (d) => Object.assign(entry(d), { arch: 'arm64' })],
    ['licenses[0].arch', (d) => delete entry(d).arch],
    ['licenses[0].expiresAt', (d) => Object.assign(entry(d), { expiresAt: 'never' })],
    ['licenses[0].expiresAt', (d) => delete entry(d).expiresAt],
    ['licenses[0].features', (d) => Object.assign(entry(d), { features: null })],
    ['licenses[0].features[1]', (d) => Object.assign(entry(d), { features: [{ code: 'a', users: 1 }, 'b'] })],
    ['licenses[0].features[0].code', (d) => Object.assign(entry(d), { features: [{ code: 7, users: null }] })],
    ['licenses[0].features[0].users', (d) => Object.assign(entry(d), { features: [{ code: 'a', users: 0 }] })],
    ['licenses[0].features[0].users', (d) => Object.assign(entry(d), { features: [{ code: 'a' }] })],
    ['licenses[1].sessions', (d) => Object.assign(d.licenses[1] as object, { sessions: '10' })],
  ];

  test('accepts the sample document and returns exactly its fields', () => {
    assert.deepEqual(parseLicenseDocument(structuredClone(sampleDoc())), sampleDoc());
    assert.deepEqual(parseLicenseDocument({ ...sampleDoc(), unknownField: 1 }), sampleDoc());
  });

  for (const [field, mutate] of cases) {
    test(`rejects a bad '${field}' (${mutate.toString().replace(/\s+/g, ' ').slice(6, 90)})`, () => {
      const d = structuredClone(sampleDoc()) as Record<string, unknown> & LicenseDocument;
      mutate(d);
      const err = assertCode(() => parseLicenseDocument(d), 'LICTOR_E_FILE_FORMAT');
      assert.ok(err.message.includes(`'${field}'`), `message does not name '${field}': ${err.message}`);
    });
  }

  test('rejects non-objects at the root', () => {
    for (const v of [null, undefined, 1, 'license', [sampleDoc()]]) {
      const err = assertCode(() => parseLicenseDocument(v), 'LICTOR_E_FILE_FORMAT', JSON.stringify(v));
      assert.match(err.message, /\(root\)/);
    }
  });

  test('a correctly signed file with an ill-typed payload is refused with the field name', () => {
    const text = sealDocument('license', { ...sampleDoc(), counter: 'zero' }, signer);
    const err = assertCode(() => decodeLicenseFile(text, publicKey), 'LICTOR_E_FILE_FORMAT');
    assert.match(err.message, /'counter'/);
  });

  test('a correctly signed file whose payload is not an object is refused', () => {
    for (const payload of [null, 1, 'x', []]) {
      assertCode(() => decodeLicenseFile(sealDocument('license', payload, signer), publicKey), 'LICTOR_E_FILE_FORMAT');
    }
  });
});

describe('blacklist files', () => {
  const doc: BlacklistDocument = {
    format: 1,
    issuedAt: '2025-03-14T10:00:00.000Z',
    serials: [SERIAL, 'LX-0000-0000-0001'],
    activations: ['a_0c9e2b7f14d84e66'],
  };

  test('round trip', () => {
    const text = encodeBlacklist(doc, signer);
    assert.match(text, /^-----BEGIN LICTOR BLACKLIST-----\n/);
    assert.ok(!text.includes(SERIAL));
    const decoded = decodeBlacklist(text, publicKey);
    assert.equal(decoded.issuedAt, doc.issuedAt);
    assert.deepEqual(decoded.serials, new Set(doc.serials));
    assert.deepEqual(decoded.activations, new Set(doc.activations));
  });

  test('an empty blacklist round-trips', () => {
    const decoded = decodeBlacklist(encodeBlacklist({ ...doc, serials: [], activations: [] }, signer), publicKey);
    assert.equal(decoded.serials.size, 0);
    assert.equal(decoded.activations.size, 0);
  });

  test('another vendor key → WRONG_VENDOR', () => {
    assertCode(() => decodeBlacklist(encodeBlacklist(doc, signer), otherPublicKey), 'LICTOR_E_WRONG_VENDOR');
  });

  test('flipping any byte is refused', () => {
    const bytes = dearmor('blacklist', encodeBlacklist(doc, signer));
    for (let i = 0; i < bytes.length; i++) {
      const b = Uint8Array.from(bytes);
      b[i] = (b[i] as number) ^ 0x01;
      assertCode(() => decodeBlacklist(armorLines('blacklist', b), publicKey), ALLOWED_TAMPER_CODES, `byte ${i}`);
    }
  });

  test('a correctly signed blacklist with the wrong structure → FILE_FORMAT', () => {
    for (const payload of [null, [], { ...doc, format: 2 }, { ...doc, serials: [1] }, { ...doc, activations: 'x' }]) {
      assertCode(
        () => decodeBlacklist(sealDocument('blacklist', payload, signer), publicKey),
        'LICTOR_E_FILE_FORMAT',
        JSON.stringify(payload),
      );
    }
  });
});

describe('decodeLicenseFile never crashes on garbage (properties)', () => {
  const RUNS = 300;
  const expectLictorError = (text: string) => {
    refusal(() => decodeLicenseFile(text, publicKey), 'garbage');
  };

  test('random strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 400 }), expectLictorError), { numRuns: RUNS });
  });

  test('random strings between BEGIN and END lines', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary-ascii', maxLength: 400 }), (s) =>
        expectLictorError(`-----BEGIN LICTOR LICENSE-----\n${s}\n-----END LICTOR LICENSE-----\n`),
      ),
      { numRuns: RUNS },
    );
  });

  test('random base64 between BEGIN and END lines', () => {
    fc.assert(
      fc.property(fc.base64String({ maxLength: 600 }), (s) =>
        expectLictorError(`-----BEGIN LICTOR LICENSE-----\n${s}\n-----END LICTOR LICENSE-----\n`),
      ),
      { numRuns: RUNS },
    );
  });

  test('random byte arrays, armored', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (b) => expectLictorError(armorLines('license', b))),
      { numRuns: RUNS },
    );
  });

  test('random bytes behind a valid header (magic, version, kind, key id)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 6, max: 42 }), fc.uint8Array({ maxLength: 600 }), (keep, tail) =>
        expectLictorError(armorLines('license', Uint8Array.from([...licenseBytes.subarray(0, keep), ...tail]))),
      ),
      { numRuns: RUNS },
    );
  });

  test('a real file with random splices of text', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 2000 }),
        fc.nat({ max: 40 }),
        fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 20 }),
        (at, cut, insert) => {
          const i = at % licenseText.length;
          const text = licenseText.slice(0, i) + insert + licenseText.slice(i + cut);
          try {
            assert.deepEqual(decodeLicenseFile(text, publicKey), sampleDoc());
          } catch (e) {
            if (e instanceof assert.AssertionError) throw e;
            assert.ok(e instanceof LictorError, `threw ${String(e)}`);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });
});
