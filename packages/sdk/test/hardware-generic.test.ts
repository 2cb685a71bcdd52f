import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { excludedAdapterReason } from '../src/hardware/adapters.js';
import { parseHardwarePorts } from '../src/hardware/darwin.js';
import { cleanCpuBrand, cpuLabel } from '../src/hardware/format.js';
import { adapterFromSi, cpusFromSi, disksFromSi } from '../src/hardware/generic.js';

const NETWORKSETUP = `
Hardware Port: Ethernet
Device: en0
Ethernet Address: 3C:07:54:00:00:01

Hardware Port: Wi-Fi
Device: en1
Ethernet Address: a4:83:e7:00:00:02

Hardware Port: Bluetooth PAN
Device: en3
Ethernet Address: N/A

Hardware Port: USB 10/100/1000 LAN
Device: en7
Ethernet Address: 00:e0:4c:68:00:03

Hardware Port: Thunderbolt Bridge
Device: bridge0
Ethernet Address: N/A

VLAN Configurations
===================
`;

describe('systeminformation mapping (Windows, macOS)', () => {
  it('parses macOS hardware ports', () => {
    const ports = parseHardwarePorts(NETWORKSETUP);
    assert.deepEqual(ports.get('en0'), { port: 'Ethernet', mac: '3c:07:54:00:00:01' });
    assert.deepEqual(ports.get('en3'), { port: 'Bluetooth PAN' });
    assert.deepEqual([...ports.keys()], ['en0', 'en1', 'en3', 'en7', 'bridge0']);
  });

  it('uses the burnt-in macOS MAC instead of a private Wi-Fi address', () => {
    const ports = parseHardwarePorts(NETWORKSETUP);
    const nic = { iface: 'en1', ifaceName: 'en1', mac: '6e:11:22:33:44:55', internal: false, type: 'wireless' };
    const a = adapterFromSi(nic, ports.get('en1'));
    assert.equal(a.mac, 'a4:83:e7:00:00:02');
    assert.equal(excludedAdapterReason(a), undefined);
    assert.equal(excludedAdapterReason(adapterFromSi(nic)), 'randomized MAC address');
  });

  it('excludes macOS USB and Bluetooth ports by their names', () => {
    const ports = parseHardwarePorts(NETWORKSETUP);
    const nic = (iface: string, mac: string) => ({ iface, ifaceName: iface, mac, internal: false, type: 'wired' });
    assert.equal(
      excludedAdapterReason(adapterFromSi(nic('en7', '00:e0:4c:68:00:03'), ports.get('en7'))),
      'USB-attached',
    );
    assert.equal(excludedAdapterReason(adapterFromSi(nic('en3', 'a4:83:e7:00:00:09'), ports.get('en3'))), 'Bluetooth');
    assert.equal(excludedAdapterReason(adapterFromSi(nic('en0', '3c:07:54:00:00:01'), ports.get('en0'))), undefined);
  });

  it('maps Windows adapters through their descriptions', () => {
    const win = (iface: string, ifaceName: string, mac: string, type = 'wired') => ({
      iface,
      ifaceName,
      mac,
      internal: false,
      type,
    });
    const verdict = (n: ReturnType<typeof win>) => excludedAdapterReason(adapterFromSi(n));
    assert.equal(verdict(win('Ethernet', 'Intel(R) Ethernet Connection (7) I219-V', '3c:7c:3f:00:00:01')), undefined);
    assert.equal(verdict(win('Wi-Fi', 'Intel(R) Wi-Fi 6 AX201 160MHz', 'a4:b1:c1:00:00:02', 'wireless')), undefined);
    assert.equal(
      verdict(win('Wi-Fi', 'Intel(R) Wi-Fi 6 AX201 160MHz', 'fa:b1:c1:00:00:02', 'wireless')),
      'randomized MAC address',
    );
    assert.equal(verdict(win('Ethernet 2', 'Red Hat VirtIO Ethernet Adapter', '52:54:00:00:00:03')), undefined);
    assert.equal(verdict(win('vEthernet (WSL)', 'Hyper-V Virtual Ethernet Adapter', '00:15:5d:00:00:04')), 'virtual');
    assert.equal(
      verdict(win('Ethernet 3', 'ASIX AX88179 USB 3.0 to Gigabit Ethernet Adapter', '00:0e:c6:00:00:05')),
      'USB-attached',
    );
    assert.equal(
      verdict(win('Bluetooth Network Connection', 'Bluetooth Device (Personal Area Network)', 'a4:b1:c1:00:00:06')),
      'Bluetooth',
    );
    assert.equal(
      excludedAdapterReason(adapterFromSi({ ...win('Loopback Pseudo-Interface 1', 'Loopback', ''), internal: true })),
      'loopback',
    );
  });

  it('leaves USB and FireWire disks and empty serials out', () => {
    assert.deepEqual(
      disksFromSi([
        { serialNum: ' S4EWNX0R123456 ', interfaceType: 'PCIe' },
        { serialNum: 'WD-1', interfaceType: 'SATA' },
        { serialNum: 'STICK', interfaceType: 'USB' },
        { serialNum: 'FW', interfaceType: '1394' },
        { serialNum: '', interfaceType: 'SCSI' },
      ]),
      ['S4EWNX0R123456', 'WD-1'],
    );
  });

  it('reports one processor per socket', () => {
    const cpu = { manufacturer: 'Intel', brand: 'Xeon® E5-2680 v4', physicalCores: 28, cores: 56, processors: 2 };
    assert.deepEqual(cpusFromSi(cpu), ['Intel Xeon E5-2680 v4 (14 cores)', 'Intel Xeon E5-2680 v4 (14 cores)']);
    assert.deepEqual(cpusFromSi({ manufacturer: 'Apple', brand: 'M2', physicalCores: 8, cores: 8, processors: 1 }), [
      'Apple M2 (8 cores)',
    ]);
  });

  it('cleans processor brands the same way on every platform', () => {
    assert.equal(cleanCpuBrand('Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz'), 'Intel Xeon E5-2680 v4');
    assert.equal(cleanCpuBrand('Intel Xeon® Processor'), 'Intel Xeon Processor');
    assert.equal(cleanCpuBrand('AMD Ryzen 7 5800X 8-Core Processor'), 'AMD Ryzen 7 5800X 8-Core Processor');
    assert.equal(cpuLabel('Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz', 6), 'Intel Core i7-8700 (6 cores)');
    assert.equal(cpuLabel('', 1), 'Unknown processor (1 core)');
  });
});
