import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AdapterInfo, excludedAdapterReason } from '../src/hardware/index.js';

const MAC = '3c:7c:3f:12:34:56';

/** [case, adapter, expected reason (undefined = compared)] */
const TABLE: [string, AdapterInfo, string | undefined][] = [
  // Compared.
  ['Linux PCI Ethernet', { name: 'enp3s0', mac: MAC, arpType: 1, bus: 'pci' }, undefined],
  ['Linux PCI Wi-Fi', { name: 'wlp2s0', mac: MAC, arpType: 1, bus: 'pci', wireless: true }, undefined],
  ['biosdevname PCI slot port', { name: 'p2p1', mac: MAC, arpType: 1, bus: 'pci' }, undefined],
  ['Linux VM virtio NIC', { name: 'eth0', mac: '52:54:00:12:34:56', arpType: 1, bus: 'pci' }, undefined],
  ['upper-case dashed MAC', { name: 'Ethernet', mac: '3C-7C-3F-12-34-56' }, undefined],
  [
    'Windows PCI Ethernet',
    { name: 'Ethernet', description: 'Intel(R) Ethernet Connection I219-V', mac: MAC },
    undefined,
  ],
  [
    'Windows Wi-Fi',
    { name: 'Wi-Fi', description: 'Intel(R) Wi-Fi 6 AX201 160MHz', mac: MAC, wireless: true },
    undefined,
  ],
  ['Hyper-V guest NIC', { name: 'Ethernet', description: 'Microsoft Hyper-V Network Adapter', mac: MAC }, undefined],
  ['macOS Wi-Fi port', { name: 'en0', description: 'Wi-Fi', mac: MAC, wireless: true }, undefined],
  ['macOS Thunderbolt port', { name: 'en1', description: 'Thunderbolt 1', mac: '82:0a:1b:2c:3d:4e' }, undefined],
  ['locally administered wired MAC', { name: 'Ethernet', mac: '0e:12:34:56:78:9a' }, undefined],

  [
    'Windows connection named like a Unix prefix',
    { name: 'Sitecom', description: 'Intel(R) Ethernet Connection I219-V', mac: MAC },
    undefined,
  ],

  // No usable MAC.
  ['missing MAC', { name: 'eth1', mac: '' }, 'no MAC address'],
  ['all-zero MAC', { name: 'eth1', mac: '00:00:00:00:00:00' }, 'all-zero MAC address'],
  [
    'InfiniBand 20-byte address',
    { name: 'ib0', mac: '80:00:02:08:fe:80:00:00:00:00:00:00:00:02:c9:03:00:0a:bc:de' },
    'not a 6-byte MAC address',
  ],

  // Loopback and non-Ethernet links.
  ['Linux loopback', { name: 'lo', mac: '00:00:00:00:00:00', arpType: 772, bus: 'virtual' }, 'loopback'],
  ['platform loopback flag', { name: 'lo0', mac: '', loopback: true }, 'loopback'],
  ['Npcap loopback', { name: 'Npcap', description: 'Npcap Loopback Adapter', mac: MAC }, 'loopback'],
  ['FireWire link type', { name: 'eth5', mac: MAC, arpType: 24 }, 'not an Ethernet or Wi-Fi link (ARP type 24)'],
  [
    'WireGuard (ARPHRD_NONE)',
    { name: 'wg0', mac: MAC, arpType: 65534 },
    'not an Ethernet or Wi-Fi link (ARP type 65534)',
  ],

  // Bluetooth.
  ['Linux bnep', { name: 'bnep0', mac: MAC, arpType: 1, bus: 'pci' }, 'Bluetooth'],
  ['Linux Bluetooth bus', { name: 'pan0', mac: MAC, arpType: 1, bus: 'bluetooth' }, 'Bluetooth'],
  [
    'Windows Bluetooth PAN',
    { name: 'Bluetooth Network Connection', description: 'Bluetooth Device (Personal Area Network)', mac: MAC },
    'Bluetooth',
  ],
  ['macOS Bluetooth PAN', { name: 'en3', description: 'Bluetooth PAN', mac: MAC }, 'Bluetooth'],

  // USB and FireWire.
  ['Linux USB Ethernet', { name: 'enx00e04c680001', mac: MAC, arpType: 1, bus: 'usb' }, 'USB-attached'],
  ['Linux USB Wi-Fi', { name: 'wlx00c0ca123456', mac: MAC, arpType: 1, bus: 'usb', wireless: true }, 'USB-attached'],
  [
    'Windows USB Ethernet',
    { name: 'Ethernet 3', description: 'Realtek USB GbE Family Controller', mac: MAC },
    'USB-attached',
  ],
  [
    'Windows phone tethering',
    { name: 'Ethernet 4', description: 'Remote NDIS based Internet Sharing Device', mac: MAC },
    'USB-attached',
  ],
  ['macOS USB LAN', { name: 'en7', description: 'USB 10/100/1000 LAN', mac: MAC }, 'USB-attached'],
  ['macOS iPhone', { name: 'en8', description: 'iPhone USB', mac: MAC }, 'USB-attached'],
  ['Linux FireWire bus', { name: 'eth4', mac: MAC, bus: 'firewire' }, 'FireWire-attached'],
  ['Windows 1394', { name: 'Ethernet 5', description: '1394 Net Adapter', mac: MAC }, 'FireWire-attached'],

  // WAN / RAS.
  ['WAN Miniport', { name: 'WAN', description: 'WAN Miniport (IP)', mac: MAC }, 'WAN/RAS'],
  ['RAS adapter', { name: 'RAS', description: 'RAS Async Adapter', mac: MAC }, 'WAN/RAS'],
  ['Linux wwan', { name: 'wwan0', mac: MAC, bus: 'pci' }, 'WAN/RAS'],
  ['Linux ppp', { name: 'ppp0', mac: MAC }, 'WAN/RAS'],

  // Virtual.
  ['Linux /sys/devices/virtual', { name: 'ifb0', mac: MAC, arpType: 1, bus: 'virtual' }, 'virtual'],
  ['Linux bridge', { name: 'br0', mac: MAC, arpType: 1, bus: 'virtual', software: 'bridge' }, 'virtual (bridge)'],
  ['Linux bond', { name: 'bond0', mac: MAC, arpType: 1, software: 'bond' }, 'virtual (bond)'],
  ['docker0 by name', { name: 'docker0', mac: '02:42:ac:11:00:01' }, 'virtual'],
  ['veth by name', { name: 'veth1a2b3c', mac: MAC }, 'virtual'],
  ['virbr by name', { name: 'virbr0', mac: MAC }, 'virtual'],
  ['tun by name', { name: 'tun0', mac: MAC }, 'virtual'],
  ['tap by name', { name: 'tap3', mac: MAC }, 'virtual'],
  ['VLAN by name', { name: 'eth0.100', mac: MAC }, 'virtual'],
  ['macOS awdl', { name: 'awdl0', mac: MAC }, 'virtual'],
  ['macOS Thunderbolt Bridge', { name: 'bridge0', description: 'Thunderbolt Bridge', mac: MAC }, 'virtual'],
  [
    'Hyper-V vEthernet',
    { name: 'vEthernet (Default Switch)', description: 'Hyper-V Virtual Ethernet Adapter', mac: MAC },
    'virtual',
  ],
  [
    'VMware host adapter',
    { name: 'VMware Network Adapter VMnet8', description: 'VMware Virtual Ethernet Adapter for VMnet8', mac: MAC },
    'virtual',
  ],
  [
    'VirtualBox host-only',
    { name: 'Ethernet 6', description: 'VirtualBox Host-Only Ethernet Adapter', mac: MAC },
    'virtual',
  ],
  ['TAP-Windows', { name: 'Ethernet 7', description: 'TAP-Windows Adapter V9', mac: MAC }, 'virtual'],
  [
    'VPN adapter',
    { name: 'Ethernet 8', description: 'Fortinet SSL VPN Virtual Ethernet Adapter', mac: MAC },
    'virtual',
  ],
  ['WireGuard tunnel', { name: 'wg-office', description: 'WireGuard Tunnel', mac: MAC }, 'virtual'],
  ['Teredo', { name: 'Teredo', description: 'Teredo Tunneling Pseudo-Interface', mac: MAC }, 'virtual'],

  [
    'Windows NIC team',
    { name: 'Team1', description: 'Microsoft Network Adapter Multiplexor Driver', mac: MAC },
    'virtual',
  ],

  // Randomized MAC.
  [
    'random MAC flag',
    { name: 'wlp2s0', mac: 'da:12:34:56:78:9a', arpType: 1, bus: 'pci', wireless: true, randomMac: true },
    'randomized MAC address',
  ],
];

describe('excludedAdapterReason', () => {
  for (const [name, info, expected] of TABLE) {
    it(`${name} → ${expected ?? 'compared'}`, () => {
      assert.equal(excludedAdapterReason(info), expected);
    });
  }

  it('has included and excluded cases for every exclusion kind', () => {
    const reasons = new Set(TABLE.map(([, , r]) => r?.replace(/ \(.*\)$/, '')));
    for (const kind of [
      undefined,
      'no MAC address',
      'all-zero MAC address',
      'loopback',
      'Bluetooth',
      'USB-attached',
      'FireWire-attached',
      'WAN/RAS',
      'virtual',
      'randomized MAC address',
    ]) {
      assert.ok(reasons.has(kind), `missing a case for ${kind ?? 'compared'}`);
    }
  });
});
