/**
 * The hardware marks the center finds a changed computer's activations by (migration 0008): two
 * parameter sets share a mark exactly when `sameComputer` says they describe the same computer.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type HardwareParams, sameComputer } from '@lictor/protocol';
import fc from 'fast-check';
import { hardwareMarks } from '../src/store/hardware-marks.js';

// Few values, written the ways collection may write them, so that random pairs often share some.
const mac = fc.constantFrom('52:54:00:12:34:56', '52-54-00-12-34-56', ' A4:BB:6D:01:02:03', 'a4:bb:6d:01:02:03', '');
const disk = fc.constantFrom('S4EWNX0R123456', ' S4EWNX0R123456 ', 'WD-WCC4N1234567', 'WD  WCC4N1234567', '');
const hostname = fc.constantFrom('WS-1', 'ws-1', ' ws-1', 'ws-2', '');
const board = fc.constantFrom('ASUS  PRIME B550M-A', 'ASUS PRIME B550M-A', 'MSI Z790', '');

const hardware: fc.Arbitrary<HardwareParams> = fc.record({
  platform: fc.constantFrom('linux', 'win32', 'darwin'),
  osName: fc.constantFrom('Ubuntu', 'Windows 11 Pro'),
  osVersion: fc.constantFrom('22.04', '10.0.22631'),
  hostname,
  board,
  ramBytes: fc.constantFrom(8 * 1024 ** 3, 16 * 1024 ** 3),
  bios: fc.constantFrom('AMI 2803', ''),
  cpus: fc.array(fc.constantFrom('Xeon', 'Ryzen'), { maxLength: 2 }),
  nics: fc.array(mac, { maxLength: 3 }),
  disks: fc.array(disk, { maxLength: 3 }),
});

function shareAMark(a: HardwareParams, b: HardwareParams): boolean {
  const marks = new Set(hardwareMarks(a));
  return hardwareMarks(b).some((m) => marks.has(m));
}

describe('hardware marks', () => {
  test('two computers share a mark exactly when sameComputer says they are the same one', () => {
    fc.assert(
      fc.property(hardware, hardware, (a, b) => {
        assert.equal(shareAMark(a, b), sameComputer(a, b));
      }),
      { numRuns: 2000 },
    );
  });

  test('marks are normalized and never repeated', () => {
    fc.assert(
      fc.property(hardware, (h) => {
        const marks = hardwareMarks(h);
        assert.equal(new Set(marks).size, marks.length);
        assert.deepEqual(hardwareMarks(h), marks);
      }),
    );
    assert.deepEqual(
      hardwareMarks({
        platform: 'linux',
        osName: '',
        osVersion: '',
        hostname: 'WS-1',
        board: 'ASUS  PRIME',
        ramBytes: 0,
        bios: '',
        cpus: [],
        nics: ['52-54-00-12-34-56', '52:54:00:12:34:56'],
        disks: [' S1 '],
      }),
      ['nic:52:54:00:12:34:56', 'disk:S1', 'host:ws-1\nASUS PRIME'],
    );
  });
});
