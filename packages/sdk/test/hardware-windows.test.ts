/**
 * Windows key parameters from the inventory script's output (fixtures in fixtures/windows, see
 * its README): OS name, the first two numbers of the version, the OS serial number and
 * installation date only before Windows 10, and network adapters decided by their PnP id.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type HardwareParams, matchHardware, normalizeHardware } from '@lictor/protocol';
import { excludedAdapterReason } from '../src/hardware/adapters.js';
import {
  parseWindowsInventory,
  WINDOWS_INVENTORY_SCRIPT,
  type WindowsInventory,
  windowsAdapter,
  windowsOs,
} from '../src/hardware/windows.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'windows');

function inventory(name: string): WindowsInventory {
  const parsed = parseWindowsInventory(readFileSync(join(FIXTURES, `${name}.json`), 'utf8'));
  assert.ok(parsed, `${name}.json is an inventory`);
  return parsed;
}

/** The compared MACs and, per excluded adapter, why. */
function adapters(inv: WindowsInventory): { nics: string[]; excluded: Record<string, string> } {
  const nics: string[] = [];
  const excluded: Record<string, string> = {};
  for (const a of inv.Adapters) {
    const info = windowsAdapter(a);
    const why = excludedAdapterReason(info);
    if (why === undefined) nics.push(info.mac);
    else excluded[a.Name] = why;
  }
  return { nics, excluded };
}

/** The parameters the Windows collector contributes, over a fixed rest of the computer. */
function params(inv: WindowsInventory): HardwareParams {
  return normalizeHardware({
    platform: 'win32',
    ...windowsOs(inv),
    hostname: 'ws-01',
    board: 'Dell 0X8DXD',
    ramBytes: 16 * 1024 ** 3,
    bios: 'Dell 1.20.0',
    cpus: ['Intel Core i7-1185G7 (4 cores)'],
    nics: adapters(inv).nics,
    disks: ['S4EWNX0R123456'],
  });
}

describe('Windows key parameters', () => {
  it('Windows 11: name, version 10.0, no OS serial or install date; Ethernet and Wi-Fi compared, the rest excluded by PnP id', () => {
    const inv = inventory('win11-laptop');
    assert.deepEqual(windowsOs(inv), { osName: 'Windows 11 Pro', osVersion: '10.0' });
    const { nics, excluded } = adapters(inv);
    assert.deepEqual(nics, ['8C:04:BA:12:34:56', 'F8:E4:E3:AB:CD:EF']);
    assert.deepEqual(excluded, {
      'Microsoft Wi-Fi Direct Virtual Adapter #2':
        'no VEN_/DEV_ in its PnP id ({5D624F94-8850-40C3-A3FA-A4FD2080BAF3}\\VWIFIMP_WFD\\5&1F1BA4D&0&12)',
      'Bluetooth Device (Personal Area Network)': 'Bluetooth',
      'Realtek USB GbE Family Controller': 'USB-attached',
      'Hyper-V Virtual Ethernet Adapter': 'no VEN_/DEV_ in its PnP id (ROOT\\VMS_MP\\0000)',
      'Zscaler Network Adapter 1.0.2.0': 'no VEN_/DEV_ in its PnP id (ROOT\\NET\\0002)',
      'WAN Miniport (IP)': 'no VEN_/DEV_ in its PnP id (SWD\\MSRRAS\\MS_NDISWANIP)',
    });
  });

  it('an unknown software adapter with an innocent name is excluded by its PnP id, where the name rules would count it', () => {
    const zscaler = inventory('win11-laptop').Adapters.find((a) => a.Name.startsWith('Zscaler'));
    assert.ok(zscaler);
    const { pnpId: _ignored, ...byName } = windowsAdapter(zscaler);
    assert.equal(excludedAdapterReason(byName), undefined, 'the name heuristic alone counts it');
    assert.match(excludedAdapterReason(windowsAdapter(zscaler)) ?? '', /no VEN_\/DEV_/);
  });

  it('a PCI adapter is compared whatever its name says', () => {
    const sriov = {
      Name: 'Intel(R) Ethernet Virtual Function 700 Series',
      NetConnectionID: 'Ethernet 5',
      MACAddress: '00:1B:21:AA:BB:CC',
      PNPDeviceID: 'PCI\\VEN_8086&DEV_154C&SUBSYS_00008086&REV_02\\5&2F0E3E4C&0&000010',
      AdapterType: 'Ethernet 802.3',
      PhysicalAdapter: true,
    };
    assert.equal(excludedAdapterReason(windowsAdapter(sriov)), undefined);
  });

  it('Windows 10: version 10.0 and no OS serial or install date; host-only and TAP adapters excluded', () => {
    const inv = inventory('win10-pro');
    assert.deepEqual(windowsOs(inv), { osName: 'Windows 10 Pro', osVersion: '10.0' });
    assert.deepEqual(adapters(inv).nics, ['2C:F0:5D:3A:7B:11']);
  });

  it('Windows Server 2022 on VMware: the vmxnet3 PCI adapter is compared', () => {
    const inv = inventory('server2022-vmware');
    assert.deepEqual(windowsOs(inv), { osName: 'Windows Server 2022 Standard', osVersion: '10.0' });
    assert.deepEqual(adapters(inv).nics, ['00:50:56:9A:1C:2D']);
  });

  it('Windows Server 2019 on Hyper-V: one adapter written as an object; its VMBUS id has no VEN_/DEV_, so no adapter is compared', () => {
    const inv = inventory('server2019-hyperv');
    assert.equal(inv.Adapters.length, 1);
    assert.deepEqual(adapters(inv).nics, []);
  });

  it('Windows Server 2012 R2: serial number and install date are key parameters; a team adapter is excluded', () => {
    const inv = inventory('server2012r2');
    assert.deepEqual(windowsOs(inv), {
      osName: 'Windows Server 2012 R2 Standard',
      osVersion: '6.3',
      osSerial: '00252-70000-00000-AA535',
      osInstallDate: '2016-04-11T10:02:13.000Z',
    });
    assert.deepEqual(adapters(inv).nics, ['A0:36:9F:5E:10:20', 'A0:36:9F:5E:10:21']);
    const activated = params(inv);
    assert.deepEqual(matchHardware(activated, params(inv)), { ok: true });
    const reinstalled = params({
      ...inv,
      InstallDate: '2025-01-05T16:40:00Z',
      SerialNumber: '00252-70000-00000-AA999',
    });
    const match = matchHardware(activated, reinstalled);
    assert.equal(match.ok, false);
    assert.deepEqual(!match.ok && match.changes.map((c) => c.message), [
      'operating system serial number changed from 00252-70000-00000-AA535 to 00252-70000-00000-AA999',
      'operating system installed again: 2016-04-11T10:02:13.000Z → 2025-01-05T16:40:00.000Z',
    ]);
  });

  it('only the first two numbers of the version count: a Windows 11 feature update keeps the license', () => {
    const inv = inventory('win11-laptop');
    const activated = params(inv);
    assert.deepEqual(matchHardware(activated, params({ ...inv, Version: '10.0.26100' })), { ok: true });
    // Windows 10 and later: a reinstall changes neither (they are not collected).
    assert.deepEqual(matchHardware(activated, params({ ...inv, InstallDate: '2025-01-01T00:00:00Z' })), { ok: true });
  });

  it('output that is not the script’s is refused; the script asks CIM for JSON with ISO dates', () => {
    assert.equal(parseWindowsInventory('not json'), undefined);
    assert.equal(parseWindowsInventory('{"Adapters":[]}'), undefined);
    assert.ok(parseWindowsInventory('\uFEFF{"Caption":"Microsoft Windows 11 Pro","Version":"10.0.22631"}'));
    assert.match(WINDOWS_INVENTORY_SCRIPT, /Get-CimInstance -ClassName Win32_OperatingSystem/);
    assert.match(WINDOWS_INVENTORY_SCRIPT, /ConvertTo-Json/);
  });
});
