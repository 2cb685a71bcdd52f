/**
 * Hardware matching rules (`matchHardware`), "same computer" detection (`sameComputer`) and the
 * shape check of untrusted parameters (`isHardwareParams`).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  type HardwareChange,
  type HardwareParams,
  isHardwareParams,
  matchHardware,
  normalizeMac,
  sameComputer,
} from '../src/index.js';

const GiB = 1024 ** 3;
const XEON = 'Intel Xeon E5-2680 v4 (14 cores)';
const MAC1 = '52:54:00:12:34:56';
const MAC2 = 'a4:bb:6d:01:02:03';
const DISK1 = 'S4EWNX0R123456';
const DISK2 = 'WD-WCC4N1234567';

/** A two-socket Windows workstation as collected at activation. */
function activatedWin(): HardwareParams {
  return {
    platform: 'win32',
    osName: 'Windows 11 Pro',
    osVersion: '10.0.22631',
    hostname: 'WS-ACCOUNTING',
    board: 'ASUSTeK PRIME B550M-A',
    ramBytes: 16 * GiB,
    bios: 'American Megatrends 2803',
    cpus: [XEON, XEON],
    nics: [MAC1, MAC2],
    disks: [DISK1, DISK2],
  };
}

function activatedLinux(): HardwareParams {
  return { ...activatedWin(), platform: 'linux', osName: 'Ubuntu', osVersion: '22.04' };
}

/** Nothing was known at activation (e.g. a container with empty DMI and no disks). */
function activatedEmpty(): HardwareParams {
  return {
    platform: 'linux',
    osName: '',
    osVersion: '',
    hostname: '',
    board: '',
    ramBytes: 0,
    bios: '',
    cpus: [],
    nics: [],
    disks: [],
  };
}

interface Row {
  name: string;
  activated?: () => HardwareParams;
  change: (hw: HardwareParams) => HardwareParams;
  /** `[]`: the match must succeed; otherwise exactly these change messages (in any order). */
  expect: string[];
  /** Expected `param` of each change, same order as `expect` (optional). */
  params?: HardwareChange['param'][];
}

const rows: Row[] = [
  { name: 'identical parameters match', change: (h) => h, expect: [] },
  { name: 'a NIC added', change: (h) => ({ ...h, nics: [...h.nics, '00:1b:21:aa:bb:cc'] }), expect: [] },
  {
    name: 'a NIC removed',
    change: (h) => ({ ...h, nics: [MAC2] }),
    expect: [`network adapter ${MAC1} removed`],
    params: ['nic'],
  },
  {
    name: 'a NIC replaced by another',
    change: (h) => ({ ...h, nics: ['00:1b:21:aa:bb:cc', MAC2] }),
    expect: [`network adapter ${MAC1} removed`],
    params: ['nic'],
  },
  { name: 'NIC order does not matter', change: (h) => ({ ...h, nics: [MAC2, MAC1] }), expect: [] },
  { name: 'RAM grows', change: (h) => ({ ...h, ramBytes: 32 * GiB }), expect: [] },
  {
    name: 'RAM shrinks back but stays at or above the activated size',
    change: (h) => ({ ...h, ramBytes: 24 * GiB }),
    expect: [],
  },
  { name: 'RAM exactly the activated size', change: (h) => ({ ...h, ramBytes: 16 * GiB }), expect: [] },
  {
    name: 'RAM below the activated size',
    change: (h) => ({ ...h, ramBytes: 8 * GiB }),
    expect: ['RAM 8 GiB is below the activated 16 GiB'],
    params: ['ram'],
  },
  {
    name: 'RAM one byte below the activated size',
    change: (h) => ({ ...h, ramBytes: 16 * GiB - 1 }),
    expect: ['RAM 16 GiB is below the activated 16 GiB'],
    params: ['ram'],
  },
  {
    name: 'host name changed',
    change: (h) => ({ ...h, hostname: 'WS-SALES' }),
    expect: ['host name changed from ws-accounting to ws-sales'],
    params: ['hostname'],
  },
  {
    name: 'host name gone',
    change: (h) => ({ ...h, hostname: '' }),
    expect: ['host name changed from ws-accounting to (none)'],
    params: ['hostname'],
  },
  { name: 'host name differs only in case', change: (h) => ({ ...h, hostname: 'ws-accounting' }), expect: [] },
  {
    name: 'motherboard changed',
    change: (h) => ({ ...h, board: 'Gigabyte B650 AORUS ELITE' }),
    expect: ['motherboard changed from ASUSTeK PRIME B550M-A to Gigabyte B650 AORUS ELITE'],
    params: ['board'],
  },
  {
    name: 'motherboard no longer revealed',
    change: (h) => ({ ...h, board: '' }),
    expect: ['motherboard changed from ASUSTeK PRIME B550M-A to (unknown)'],
    params: ['board'],
  },
  {
    name: 'BIOS changed',
    change: (h) => ({ ...h, bios: 'American Megatrends 3002' }),
    expect: ['BIOS changed from American Megatrends 2803 to American Megatrends 3002'],
    params: ['bios'],
  },
  {
    name: 'one of two identical processors removed (lists are multisets)',
    change: (h) => ({ ...h, cpus: [XEON] }),
    expect: [`processor ${XEON} removed`],
    params: ['cpu'],
  },
  {
    name: 'both processors removed: listed twice',
    change: (h) => ({ ...h, cpus: [] }),
    expect: [`processor ${XEON} removed`, `processor ${XEON} removed`],
    params: ['cpu', 'cpu'],
  },
  { name: 'a processor added', change: (h) => ({ ...h, cpus: [XEON, XEON, XEON] }), expect: [] },
  {
    name: 'processor name white space is normalized',
    change: (h) => ({ ...h, cpus: [`  ${XEON.replaceAll(' ', '  ')}`, XEON] }),
    expect: [],
  },
  { name: 'a disk added', change: (h) => ({ ...h, disks: [...h.disks, 'ZA1234567'] }), expect: [] },
  {
    name: 'a disk removed',
    change: (h) => ({ ...h, disks: [DISK2] }),
    expect: [`hard drive ${DISK1} removed`],
    params: ['disk'],
  },
  {
    name: 'Windows OS name changed (upgrade 10 → 11)',
    activated: () => ({ ...activatedWin(), osName: 'Windows 10 Pro', osVersion: '10.0.19045' }),
    change: (h) => ({ ...h, osName: 'Windows 11 Pro', osVersion: '10.0.22631' }),
    expect: ['operating system changed from Windows 10 Pro 10.0 to Windows 11 Pro 10.0'],
    params: ['os'],
  },
  {
    name: 'Windows OS version changed',
    activated: () => ({ ...activatedWin(), osVersion: '6.3.9600' }),
    change: (h) => ({ ...h, osVersion: '10.0.22631' }),
    expect: ['operating system changed from Windows 11 Pro 6.3 to Windows 11 Pro 10.0'],
    params: ['os'],
  },
  {
    name: 'macOS major version changed',
    activated: () => ({ ...activatedWin(), platform: 'darwin', osName: 'macOS', osVersion: '14.4.1' }),
    change: (h) => ({ ...h, osVersion: '15.0' }),
    expect: ['operating system changed from macOS 14.4 to macOS 15.0'],
    params: ['os'],
  },
  {
    name: 'macOS point updates keep the license (13.4 → 13.4.1 → 13.5)',
    activated: () => ({ ...activatedWin(), platform: 'darwin', osName: 'macOS', osVersion: '13.4' }),
    change: (h) => ({ ...h, osVersion: '13.5' }),
    expect: [],
  },
  {
    name: 'macOS 13.4 → 13.4.1 keeps the license',
    activated: () => ({ ...activatedWin(), platform: 'darwin', osName: 'macOS', osVersion: '13.4' }),
    change: (h) => ({ ...h, osVersion: '13.4.1' }),
    expect: [],
  },
  {
    name: 'Linux rule decided by the computer checked: activated elsewhere, checked on Linux, OS not compared',
    activated: activatedWin,
    change: (h) => ({ ...h, platform: 'linux', osName: 'Ubuntu', osVersion: '24.04' }),
    expect: [],
  },
  {
    name: 'Linux rule decided by the computer checked: activated on Linux, checked elsewhere, OS compared',
    activated: activatedLinux,
    change: (h) => ({ ...h, platform: 'win32', osName: 'Windows 11 Pro', osVersion: '10.0.22631' }),
    expect: ['operating system changed from Ubuntu 22.04 to Windows 11 Pro 10.0'],
    params: ['os'],
  },
  {
    name: 'OS version beyond major.minor is ignored (10.0.19045 vs 10.0.22631)',
    activated: () => ({ ...activatedWin(), osVersion: '10.0.19045' }),
    change: (h) => ({ ...h, osVersion: '10.0.22631' }),
    expect: [],
  },
  {
    name: 'Linux: OS version change ignored',
    activated: activatedLinux,
    change: (h) => ({ ...h, osVersion: '24.04' }),
    expect: [],
  },
  {
    name: 'Linux: OS name change ignored',
    activated: activatedLinux,
    change: (h) => ({ ...h, osName: 'Debian GNU/Linux', osVersion: '12' }),
    expect: [],
  },
  {
    name: 'Linux: the other rules still apply',
    activated: activatedLinux,
    change: (h) => ({ ...h, osVersion: '24.04', nics: [MAC2] }),
    expect: [`network adapter ${MAC1} removed`],
    params: ['nic'],
  },
  {
    name: 'parameters empty at activation are not compared',
    activated: activatedEmpty,
    change: () => ({
      ...activatedWin(),
      platform: 'linux',
      osName: 'Ubuntu',
      osVersion: '24.04',
    }),
    expect: [],
  },
  {
    name: 'parameters empty at activation stay uncompared when still empty',
    activated: activatedEmpty,
    change: (h) => h,
    expect: [],
  },
  {
    name: 'board and BIOS empty at activation, known now',
    activated: () => ({ ...activatedWin(), board: '', bios: '' }),
    change: (h) => ({ ...h, board: 'ASUSTeK PRIME B550M-A', bios: 'American Megatrends 2803' }),
    expect: [],
  },
  {
    name: 'Windows OS name empty at activation is not compared',
    activated: () => ({ ...activatedWin(), osName: '', osVersion: '' }),
    change: (h) => ({ ...h, osName: 'Windows 11 Pro', osVersion: '10.0.22631' }),
    expect: [],
  },
  {
    name: 'several changes are all listed',
    change: (h) => ({
      ...h,
      osName: 'Windows 10 Pro',
      hostname: 'ws-sales',
      board: 'Gigabyte B650 AORUS ELITE',
      ramBytes: 8 * GiB,
      bios: 'Phoenix 1.0',
      cpus: [XEON],
      nics: [],
      disks: [DISK2, 'ZA1234567'],
    }),
    expect: [
      'operating system changed from Windows 11 Pro 10.0 to Windows 10 Pro 10.0',
      'host name changed from ws-accounting to ws-sales',
      'motherboard changed from ASUSTeK PRIME B550M-A to Gigabyte B650 AORUS ELITE',
      'RAM 8 GiB is below the activated 16 GiB',
      'BIOS changed from American Megatrends 2803 to Phoenix 1.0',
      `processor ${XEON} removed`,
      `network adapter ${MAC1} removed`,
      `network adapter ${MAC2} removed`,
      `hard drive ${DISK1} removed`,
    ],
    params: ['os', 'hostname', 'board', 'ram', 'bios', 'cpu', 'nic', 'nic', 'disk'],
  },
  {
    name: 'MAC written with dashes and upper case equals the colon form',
    activated: () => ({ ...activatedWin(), nics: ['52-54-00-AA-BB-CC'] }),
    change: (h) => ({ ...h, nics: ['52:54:00:aa:bb:cc'] }),
    expect: [],
  },
  {
    name: 'MAC colon form at activation, dashes and upper case now',
    activated: () => ({ ...activatedWin(), nics: ['52:54:00:aa:bb:cc'] }),
    change: (h) => ({ ...h, nics: [' 52-54-00-AA-BB-CC '] }),
    expect: [],
  },
  {
    name: 'a removed MAC is reported in normalized form',
    activated: () => ({ ...activatedWin(), nics: ['52-54-00-AA-BB-CC'] }),
    change: (h) => ({ ...h, nics: [] }),
    expect: ['network adapter 52:54:00:aa:bb:cc removed'],
    params: ['nic'],
  },
];

describe('matchHardware: rules table', () => {
  for (const row of rows) {
    test(row.name, () => {
      const activated = (row.activated ?? activatedWin)();
      const before = structuredClone(activated);
      const current = row.change(structuredClone(activated));
      const result = matchHardware(activated, current);
      assert.deepEqual(activated, before, 'matchHardware must not modify its input');
      if (row.expect.length === 0) {
        assert.deepEqual(result, { ok: true });
        return;
      }
      assert.equal(result.ok, false, 'the match must fail');
      if (result.ok) return;
      const messages = result.changes.map((c) => c.message);
      assert.deepEqual([...messages].sort(), [...row.expect].sort());
      if (row.params) {
        const byMessage = result.changes.map((c) => `${c.param}|${c.message}`).sort();
        const expected = row.expect.map((m, i) => `${row.params?.[i]}|${m}`).sort();
        assert.deepEqual(byMessage, expected);
      }
    });
  }
});

describe('sameComputer', () => {
  const other: HardwareParams = {
    platform: 'win32',
    osName: 'Windows 10 Pro',
    osVersion: '10.0.19045',
    hostname: 'ws-sales',
    board: 'Gigabyte B650 AORUS ELITE',
    ramBytes: 8 * GiB,
    bios: 'Phoenix 1.0',
    cpus: ['AMD Ryzen 7 7700 (8 cores)'],
    nics: ['00:1b:21:aa:bb:cc'],
    disks: ['ZA1234567'],
  };
  const cases: { name: string; b: HardwareParams; same: boolean }[] = [
    { name: 'identical', b: activatedWin(), same: true },
    { name: 'nothing in common', b: other, same: false },
    {
      name: 'shares a network adapter, all else changed',
      b: { ...other, nics: ['00:1b:21:aa:bb:cc', MAC2] },
      same: true,
    },
    { name: 'shares a network adapter written differently', b: { ...other, nics: ['A4-BB-6D-01-02-03'] }, same: true },
    { name: 'shares a hard drive, all else changed', b: { ...other, disks: [DISK2] }, same: true },
    {
      name: 'same host name (other case) on the same motherboard',
      b: { ...other, hostname: 'Ws-Accounting', board: 'ASUSTeK PRIME B550M-A' },
      same: true,
    },
    { name: 'same host name on another motherboard', b: { ...other, hostname: 'ws-accounting' }, same: false },
    { name: 'same motherboard, other host name', b: { ...other, board: 'ASUSTeK PRIME B550M-A' }, same: false },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.equal(sameComputer(activatedWin(), c.b), c.same);
      assert.equal(sameComputer(c.b, activatedWin()), c.same, 'sameComputer must be symmetric');
    });
  }

  test('two computers with no host name and an unknown board are not the same', () => {
    assert.equal(sameComputer(activatedEmpty(), activatedEmpty()), false);
  });

  test('a failed match can still be the same computer (hardware upgrade)', () => {
    const upgraded = { ...activatedWin(), board: 'Gigabyte B650 AORUS ELITE', nics: [MAC2] };
    assert.equal(matchHardware(activatedWin(), upgraded).ok, false);
    assert.equal(sameComputer(activatedWin(), upgraded), true);
  });
});

describe('isHardwareParams', () => {
  test('accepts well-formed parameters, including empty values', () => {
    assert.equal(isHardwareParams(activatedWin()), true);
    assert.equal(isHardwareParams(activatedEmpty()), true);
    assert.equal(isHardwareParams({ ...activatedWin(), extra: 'ignored' }), true);
  });

  test('accepts the limits exactly: 64 items, 256 characters', () => {
    const s256 = 'x'.repeat(256);
    assert.equal(isHardwareParams({ ...activatedWin(), hostname: s256 }), true);
    assert.equal(isHardwareParams({ ...activatedWin(), nics: Array.from({ length: 64 }, (_, i) => `n${i}`) }), true);
    assert.equal(isHardwareParams({ ...activatedWin(), disks: [s256] }), true);
    assert.equal(isHardwareParams({ ...activatedWin(), ramBytes: Number.MAX_SAFE_INTEGER }), true);
  });

  const bad: [string, unknown][] = [
    ['null', null],
    ['undefined', undefined],
    ['a string', 'win32'],
    ['a number', 42],
    ['an array', [activatedWin()]],
    ['an empty object', {}],
  ];
  const stringFields = ['platform', 'osName', 'osVersion', 'hostname', 'board', 'bios'] as const;
  const listFields = ['cpus', 'nics', 'disks'] as const;
  for (const f of [...stringFields, 'ramBytes', ...listFields]) {
    const missing: Record<string, unknown> = { ...activatedWin() };
    delete missing[f];
    bad.push([`${f} missing`, missing]);
    bad.push([`${f} null`, { ...activatedWin(), [f]: null }]);
  }
  for (const f of stringFields) {
    bad.push([`${f} a number`, { ...activatedWin(), [f]: 1 }]);
    bad.push([`${f} a list`, { ...activatedWin(), [f]: ['x'] }]);
    bad.push([`${f} longer than 256`, { ...activatedWin(), [f]: 'x'.repeat(257) }]);
  }
  for (const [label, v] of [
    ['a string', '17179869184'],
    ['negative', -1],
    ['fractional', 1.5],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['beyond safe integers', 2 ** 53],
    ['a bigint', 16n],
  ] as const) {
    bad.push([`ramBytes ${label}`, { ...activatedWin(), ramBytes: v }]);
  }
  for (const f of listFields) {
    bad.push([`${f} a string`, { ...activatedWin(), [f]: 'x' }]);
    bad.push([`${f} with a number`, { ...activatedWin(), [f]: ['x', 1] }]);
    bad.push([`${f} with null`, { ...activatedWin(), [f]: [null] }]);
    bad.push([`${f} with a nested list`, { ...activatedWin(), [f]: [['x']] }]);
    bad.push([`${f} with 65 items`, { ...activatedWin(), [f]: Array.from({ length: 65 }, (_, i) => `x${i}`) }]);
    bad.push([`${f} with an item longer than 256`, { ...activatedWin(), [f]: ['x'.repeat(257)] }]);
  }
  for (const [label, value] of bad) {
    test(`rejects ${label}`, () => {
      assert.equal(isHardwareParams(value), false);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

const RUNS = 200;

const macArb = fc
  .uint8Array({ minLength: 6, maxLength: 6 })
  .map((b) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':'));
/** The spellings of one MAC that collectors produce. */
const spellings = (m: string) => fc.constantFrom(m, m.toUpperCase(), m.toUpperCase().replaceAll(':', '-'));
const spelledMacArb = macArb.chain(spellings);
const wordArb = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 ._()-]{0,30}[A-Za-z0-9)]$/);
const cpuArb = fc.constantFrom(
  XEON,
  'AMD EPYC 7763 (64 cores)',
  'Intel Core i7-12700 (12 cores)',
  'Apple M2 (8 cores)',
  'AMD Ryzen 7 5700X (8 cores)',
);
const platformArb = fc.constantFrom('linux', 'win32', 'darwin');

const hardwareArb: fc.Arbitrary<HardwareParams> = fc.record({
  platform: platformArb,
  osName: fc.constantFrom('', 'Windows 11 Pro', 'Ubuntu', 'macOS'),
  osVersion: fc.constantFrom('', '10.0.22631', '24.04', '14.4.1'),
  hostname: fc.oneof(fc.constant(''), wordArb),
  board: fc.oneof(fc.constant(''), wordArb),
  ramBytes: fc.integer({ min: 0, max: 1024 * GiB }),
  bios: fc.oneof(fc.constant(''), wordArb),
  // Processors may repeat (identical sockets); adapters and drives are unique by nature.
  cpus: fc.array(cpuArb, { maxLength: 4 }),
  nics: fc.uniqueArray(macArb, { maxLength: 4 }).chain((ms) => fc.tuple(...ms.map(spellings))),
  disks: fc.uniqueArray(wordArb, { maxLength: 4, selector: (d) => d.replace(/\s+/g, ' ').trim() }),
});

type ListKey = 'cpus' | 'nics' | 'disks';
const LISTS: ListKey[] = ['cpus', 'nics', 'disks'];
const normalizedItem = (list: ListKey, item: string) =>
  list === 'nics' ? normalizeMac(item) : item.replace(/\s+/g, ' ').trim();

/** Shuffles deterministically from a seed array (fast-check shrinks the seed). */
function shuffle<T>(xs: readonly T[], seed: readonly number[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = (seed[i % Math.max(1, seed.length)] ?? 0) % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

const additionsArb = fc.record({
  cpus: fc.array(cpuArb, { maxLength: 3 }),
  nics: fc.array(spelledMacArb, { maxLength: 3 }),
  disks: fc.array(wordArb, { maxLength: 3 }),
  ram: fc.integer({ min: 0, max: 64 * GiB }),
  seed: fc.array(fc.nat(), { maxLength: 8 }),
});

type AdditionSet = { cpus: string[]; nics: string[]; disks: string[]; ram: number; seed: number[] };

/** The activated computer after items (and RAM) were added, lists in another order. */
function grow(a: HardwareParams, add: AdditionSet): HardwareParams {
  return {
    ...a,
    ramBytes: a.ramBytes + add.ram,
    cpus: shuffle([...a.cpus, ...add.cpus], add.seed),
    nics: shuffle([...a.nics, ...add.nics], add.seed),
    disks: shuffle([...a.disks, ...add.disks], add.seed),
  };
}

describe('matchHardware: properties', () => {
  test('adding items to any list (and adding RAM) never breaks a match', () => {
    fc.assert(
      fc.property(hardwareArb, additionsArb, (a, add) => {
        assert.deepEqual(matchHardware(a, grow(a, add)), { ok: true });
      }),
      { numRuns: RUNS },
    );
  });

  test('removing any activated item always breaks the match, and the message names it', () => {
    const arb = hardwareArb
      .filter((h) => h.cpus.length + h.nics.length + h.disks.length > 0)
      .chain((a) => {
        const slots = LISTS.flatMap((list) => a[list].map((_, index) => ({ list, index })));
        return fc.tuple(fc.constant(a), fc.constantFrom(...slots), additionsArb);
      });
    fc.assert(
      fc.property(arb, ([a, { list, index }, add]) => {
        const removed = a[list][index] as string;
        const removedNorm = normalizedItem(list, removed);
        const kept = a[list].filter((_, i) => i !== index);
        // Additions must not bring the removed item back.
        const extra = add[list].filter((x) => normalizedItem(list, x) !== removedNorm);
        const current = { ...grow(a, { ...add, [list]: [] }), [list]: shuffle([...kept, ...extra], add.seed) };
        const result = matchHardware(a, current);
        assert.equal(result.ok, false);
        if (result.ok) return;
        const param = { cpus: 'cpu', nics: 'nic', disks: 'disk' }[list];
        const named = result.changes.filter((c) => c.param === param && c.message.includes(removedNorm));
        assert.equal(named.length, 1, `expected one ${param} change naming ${removedNorm}: ${JSON.stringify(result)}`);
        // Nothing else is reported: the rest only grew.
        assert.equal(result.changes.length, 1);
      }),
      { numRuns: RUNS },
    );
  });

  test('matching is against the activation state: grow, then shrink back to ≥ activated is ok', () => {
    const arb = fc.tuple(hardwareArb, additionsArb).chain(([a, add]) => {
      const grown = grow(a, add);
      // Shrink back: drop any of the added items and give back part of the added RAM.
      return fc.tuple(
        fc.constant(a),
        fc.constant(grown),
        fc.subarray(add.cpus),
        fc.subarray(add.nics),
        fc.subarray(add.disks),
        fc.integer({ min: a.ramBytes, max: grown.ramBytes }),
      );
    });
    fc.assert(
      fc.property(arb, ([a, grown, cpus, nics, disks, ramBytes]) => {
        const shrunk = {
          ...a,
          ramBytes,
          cpus: [...a.cpus, ...cpus],
          nics: [...a.nics, ...nics],
          disks: [...a.disks, ...disks],
        };
        assert.deepEqual(matchHardware(a, grown), { ok: true });
        assert.deepEqual(matchHardware(a, shrunk), { ok: true });
        // Had the grown state become the reference, giving back RAM would have broken it.
        if (ramBytes < grown.ramBytes) assert.equal(matchHardware(grown, shrunk).ok, false);
      }),
      { numRuns: RUNS },
    );
  });

  test('RAM below the activated size always fails with both sizes in the message', () => {
    fc.assert(
      fc.property(hardwareArb, fc.integer({ min: 1, max: 1024 * GiB }), (a0, loss) => {
        const a = { ...a0, ramBytes: a0.ramBytes + loss };
        const result = matchHardware(a, { ...a, ramBytes: a.ramBytes - loss });
        assert.equal(result.ok, false);
        if (result.ok) return;
        assert.deepEqual(
          result.changes.map((c) => c.param),
          ['ram'],
        );
        assert.match(result.changes[0]?.message ?? '', /^RAM [\d.]+ GiB is below the activated [\d.]+ GiB$/);
      }),
      { numRuns: RUNS },
    );
  });

  test('sameComputer is symmetric and true for a computer and its own grown state', () => {
    fc.assert(
      fc.property(hardwareArb, hardwareArb, additionsArb, (a, b, add) => {
        assert.equal(sameComputer(a, b), sameComputer(b, a));
        // A computer is recognisable by an adapter, a drive, or its host name on a known board.
        const identifiable = a.nics.length + a.disks.length > 0 || (a.hostname.trim() !== '' && a.board.trim() !== '');
        if (identifiable) assert.equal(sameComputer(a, grow(a, add)), true);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('parameters unknown at activation', () => {
  const base = {
    platform: 'win32',
    osName: 'Windows 11 Pro',
    osVersion: '',
    hostname: 'vm',
    board: '',
    ramBytes: 8 * GiB,
    bios: '',
    cpus: [],
    nics: [],
    disks: [],
  };

  test('an OS version unknown at activation is not compared once it becomes known', () => {
    assert.deepEqual(matchHardware(base, { ...base, osVersion: '10.0' }), { ok: true });
    const renamed = matchHardware(base, { ...base, osName: 'Windows 10 Pro', osVersion: '10.0' });
    assert.equal(renamed.ok, false);
    assert.equal(
      !renamed.ok && renamed.changes[0]?.message,
      'operating system changed from Windows 11 Pro to Windows 10 Pro 10.0',
    );
  });

  test('two computers with the same host name and no known board, adapter or drive are not the same computer', () => {
    assert.equal(sameComputer(base, { ...base, ramBytes: 4 * GiB }), false);
  });
});
