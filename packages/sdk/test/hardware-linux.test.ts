import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isHardwareParams } from '@lictor/protocol';
import { collectHardware } from '../src/hardware/index.js';
import { collectLinux, parseCpuinfo, parseMemTotal, parseOsRelease } from '../src/hardware/linux.js';
import { parseVpdSerial, readLinuxDisks, serialsFromLsblk } from '../src/hardware/linux-disks.js';
import { readLinuxAdapters } from '../src/hardware/linux-net.js';

/** Builds a fake Linux root (`sys`, `proc`, `etc`) in a temporary directory, laid out like the real one. */
class FakeRoot {
  constructor(readonly dir: string) {}

  static async create(): Promise<FakeRoot> {
    return new FakeRoot(await mkdtemp(join(os.tmpdir(), 'lictor-hw-')));
  }

  async file(path: string, content: string | Buffer): Promise<void> {
    const full = join(this.dir, path);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, content);
  }

  async link(path: string, target: string): Promise<void> {
    const full = join(this.dir, path);
    await mkdir(dirname(full), { recursive: true });
    await symlink(relative(dirname(full), join(this.dir, target)), full);
  }

  /**
   * A network interface: `device` is its parent device under `sys/` (e.g.
   * `devices/pci0000:00/0000:00:1f.6`), or undefined for a device under `devices/virtual/net`.
   */
  async netdev(
    name: string,
    o: {
      device?: string;
      address?: string;
      type?: number;
      assign?: number;
      dirs?: string[];
      files?: Record<string, string>;
    },
  ): Promise<void> {
    const dir = o.device ? `sys/${o.device}/net/${name}` : `sys/devices/virtual/net/${name}`;
    await this.file(`${dir}/address`, `${o.address ?? ''}\n`);
    await this.file(`${dir}/type`, `${o.type ?? 1}\n`);
    await this.file(`${dir}/addr_assign_type`, `${o.assign ?? 0}\n`);
    for (const d of o.dirs ?? []) await mkdir(join(this.dir, dir, d), { recursive: true });
    for (const [f, content] of Object.entries(o.files ?? {})) await this.file(`${dir}/${f}`, content);
    if (o.device) {
      await mkdir(join(this.dir, 'sys', o.device), { recursive: true });
      await this.link(`${dir}/device`, `sys/${o.device}`);
    }
    await this.link(`sys/class/net/${name}`, dir);
  }

  /** A block device under `sys/<device>/block/<name>` (or `devices/virtual/block`), linked from `sys/block`. */
  async disk(
    name: string,
    o: { device?: string; files?: Record<string, string | Buffer>; deviceFiles?: Record<string, string | Buffer> },
  ): Promise<void> {
    const dir = o.device ? `sys/${o.device}/block/${name}` : `sys/devices/virtual/block/${name}`;
    await this.file(`${dir}/size`, '1953525168\n');
    await this.file(`${dir}/removable`, '0\n');
    for (const [f, content] of Object.entries(o.files ?? {})) await this.file(`${dir}/${f}`, content);
    if (o.device) {
      for (const [f, content] of Object.entries(o.deviceFiles ?? {})) await this.file(`sys/${o.device}/${f}`, content);
      await mkdir(join(this.dir, 'sys', o.device), { recursive: true });
      await this.link(`${dir}/device`, `sys/${o.device}`);
    }
    await this.link(`sys/block/${name}`, dir);
  }

  remove(): Promise<void> {
    return rm(this.dir, { recursive: true, force: true });
  }
}

const PCI = 'devices/pci0000:00';
const USB = `${PCI}/0000:00:14.0/usb2/2-1/2-1:1.0`;

const CPUINFO_2_SOCKETS = [0, 1, 2, 3]
  .map(
    (p) => `processor\t: ${p}
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz
physical id\t: ${p < 2 ? 0 : 1}
siblings\t: 2
core id\t\t: ${p % 2}
cpu cores\t: 14
flags\t\t: fpu vme
`,
  )
  .join('\n');

const OS_RELEASE = `PRETTY_NAME="Ubuntu 24.04.1 LTS"
NAME="Ubuntu"
VERSION_ID="24.04"
VERSION="24.04.1 LTS (Noble Numbat)"
ID=ubuntu
`;

function vpd80(serial: string): Buffer {
  const body = Buffer.from(serial, 'latin1');
  return Buffer.concat([Buffer.from([0, 0x80, 0, body.length]), body]);
}

describe('Linux collection from a fake root', () => {
  let root: FakeRoot;

  before(async () => {
    root = await FakeRoot.create();
    await root.file('etc/os-release', OS_RELEASE);
    await root.file('proc/meminfo', 'MemTotal:       16314736 kB\nMemFree:         1234 kB\n');
    await root.file('proc/cpuinfo', CPUINFO_2_SOCKETS);
    await root.file('sys/class/dmi/id/board_vendor', 'ASUSTeK COMPUTER INC.\n');
    await root.file('sys/class/dmi/id/board_name', 'PRIME B450M-A\n');
    await root.file('sys/class/dmi/id/bios_vendor', 'American Megatrends Inc.\n');
    await root.file('sys/class/dmi/id/bios_version', '3211\n');

    // Compared adapters.
    await root.netdev('enp3s0', { device: `${PCI}/0000:03:00.0`, address: '3C:7C:3F:00:00:01' });
    await root.netdev('wlp2s0', { device: `${PCI}/0000:02:00.0`, address: 'a4:b1:c1:00:00:02', dirs: ['wireless'] });
    await root.netdev('wlp4s0', {
      device: `${PCI}/0000:04:00.0`,
      address: 'a4:b1:c1:00:00:03',
      assign: 3,
      dirs: ['phy80211'],
    });
    await root.netdev('enp5s0', {
      device: `${PCI}/0000:05:00.0`,
      address: '3c:7c:3f:00:00:04',
      files: { 'bonding_slave/perm_hwaddr': '3c:7c:3f:00:00:05\n' },
    });
    // Excluded adapters.
    await root.netdev('lo', { address: '00:00:00:00:00:00', type: 772 });
    await root.netdev('docker0', { address: '02:42:ac:11:00:01', dirs: ['bridge'] });
    await root.netdev('br0', { address: '3c:7c:3f:00:00:04', dirs: ['bridge'] });
    await root.netdev('bond0', { address: '3c:7c:3f:00:00:04', dirs: ['bonding'] });
    await root.netdev('veth12ab', { address: '9a:00:00:00:00:06' });
    await root.netdev('virbr0', { address: '52:54:00:00:00:07', dirs: ['bridge'] });
    await root.netdev('tap0', { address: 'aa:00:00:00:00:08', files: { tun_flags: '0x1002\n' } });
    await root.netdev('wg0', { address: '', type: 65534 });
    await root.netdev('enp3s0.100', {
      address: '3c:7c:3f:00:00:01',
      files: { uevent: 'DEVTYPE=vlan\nINTERFACE=enp3s0.100\n' },
    });
    await root.netdev('enx00e04c680001', { device: USB, address: '00:e0:4c:68:00:01' });
    await root.netdev('wlx00c0ca000001', { device: `${USB}/x`, address: '00:c0:ca:00:00:01', dirs: ['wireless'] });
    await root.netdev('bnep0', {
      device: `${PCI}/0000:00:14.0/usb1/1-10/1-10:1.0/bluetooth/hci0`,
      address: 'b8:27:eb:00:00:09',
    });
    await root.netdev('eth9', { device: `${PCI}/0000:09:00.0`, address: '' });
    await root.netdev('eno1', { device: `${PCI}/0000:00:19.0`, address: 'de:ad:be:ef:00:0a', assign: 1 });
    await root.netdev('wlp6s0', { device: `${PCI}/0000:06:00.0`, address: 'da:00:00:00:00:0b', assign: 3 });
    await root.netdev('ghost0', { address: '3c:7c:3f:00:00:0c' });

    // Compared disks.
    await root.disk('nvme0n1', {
      device: `${PCI}/0000:01:00.0/nvme/nvme0`,
      deviceFiles: { serial: 'S4EWNX0R123456  \n' },
    });
    await root.disk('sda', {
      device: `${PCI}/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0`,
      deviceFiles: { vpd_pg80: vpd80('  WD-WCC4N1234567') },
    });
    await root.disk('vda', { device: `${PCI}/0000:00:02.0/virtio1`, files: { serial: 'vm-disk-1\n' } });
    await root.disk('mmcblk1', {
      device: 'devices/platform/sdhci.1/mmc_host/mmc1/mmc1:0001',
      deviceFiles: { type: 'MMC\n', serial: '0x1234abcd\n' },
    });
    // Excluded disks.
    await root.disk('sdb', {
      device: `${USB}/host6/target6:0:0/6:0:0:0`,
      deviceFiles: { vpd_pg80: vpd80('USBSERIAL1') },
    });
    await root.disk('loop0', {});
    await root.disk('zram0', {});
    await root.disk('sr0', {
      device: `${PCI}/0000:00:17.0/ata2/host1/target1:0:0/1:0:0:0`,
      files: { removable: '1\n' },
    });
    await root.disk('mmcblk0', {
      device: 'devices/platform/sdhci.0/mmc_host/mmc0/mmc0:aaaa',
      deviceFiles: { type: 'SD\n', serial: '0xdeadbeef\n' },
    });
    await root.disk('sdc', { device: `${PCI}/0000:00:17.0/ata3/host2/target2:0:0/2:0:0:0`, files: { size: '0\n' } });
  });

  after(() => root.remove());

  it('collects every parameter', async () => {
    const hw = await collectHardware({ sysRoot: root.dir });
    assert.ok(isHardwareParams(hw));
    assert.deepEqual(hw, {
      platform: 'linux',
      osName: 'Ubuntu',
      osVersion: '24.04',
      hostname: os.hostname().toLowerCase(),
      board: 'ASUSTeK COMPUTER INC. PRIME B450M-A',
      ramBytes: 16314736 * 1024,
      bios: 'American Megatrends Inc. 3211',
      cpus: ['Intel Xeon E5-2680 v4 (14 cores)', 'Intel Xeon E5-2680 v4 (14 cores)'],
      nics: ['3c:7c:3f:00:00:01', '3c:7c:3f:00:00:05', 'a4:b1:c1:00:00:02', 'a4:b1:c1:00:00:03'],
      disks: ['0x1234abcd', 'S4EWNX0R123456', 'WD-WCC4N1234567', 'vm-disk-1'],
    });
  });

  it('gives a reason for each excluded adapter', async () => {
    const verdicts = Object.fromEntries((await readLinuxAdapters(root.dir)).map((a) => [a.name, a.excluded]));
    assert.deepEqual(verdicts, {
      bnep0: 'Bluetooth',
      bond0: 'virtual (bond)',
      br0: 'virtual (bridge)',
      docker0: 'virtual (bridge)',
      eno1: 'randomized MAC address',
      enp3s0: undefined,
      'enp3s0.100': 'virtual (vlan)',
      enp5s0: undefined,
      enx00e04c680001: 'USB-attached',
      eth9: 'no MAC address',
      ghost0: 'virtual',
      lo: 'loopback',
      tap0: 'virtual (tun)',
      veth12ab: 'virtual',
      virbr0: 'virtual (bridge)',
      wg0: 'no MAC address',
      wlp2s0: undefined,
      wlp4s0: undefined,
      wlp6s0: 'randomized MAC address',
      wlx00c0ca000001: 'USB-attached',
    });
  });

  it('asks lsblk only for drives without a serial in sysfs', async () => {
    const extra = await FakeRoot.create();
    try {
      await extra.disk('sda', { device: `${PCI}/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0` });
      await extra.disk('sdb', { device: `${PCI}/0000:00:17.0/ata2/host1/target1:0:0/1:0:0:0` });
      await extra.disk('nvme0n1', { device: `${PCI}/0000:01:00.0/nvme/nvme0`, deviceFiles: { serial: 'NVME1\n' } });
      let calls = 0;
      const lsblk = async () => {
        calls++;
        return JSON.stringify({
          blockdevices: [
            { name: 'sda', serial: 'ZA1234 ', tran: 'sata', type: 'disk' },
            { name: 'sdb', serial: 'SHOULD-NOT-APPEAR', tran: 'usb', type: 'disk' },
            { name: 'nvme0n1', serial: 'FROM-LSBLK', tran: 'nvme', type: 'disk' },
            { name: 'sdz', serial: 'NOT-ASKED', tran: 'sata', type: 'disk' },
          ],
        });
      };
      assert.deepEqual((await readLinuxDisks(extra.dir, lsblk)).sort(), ['NVME1', 'ZA1234']);
      assert.equal(calls, 1);

      const failing = async () => {
        throw new Error('lsblk: command not found');
      };
      assert.deepEqual(await readLinuxDisks(extra.dir, failing), ['NVME1']);
      assert.deepEqual((await collectLinux(extra.dir, { lsblk })).disks.sort(), ['NVME1', 'ZA1234']);
    } finally {
      await extra.remove();
    }
  });

  it('does not run lsblk when sysfs has every serial', async () => {
    let calls = 0;
    await readLinuxDisks(root.dir, async () => {
      calls++;
      return '{}';
    });
    assert.equal(calls, 0);
  });
});

describe('Linux collection from an empty root (a container without /sys)', () => {
  it('succeeds with empty parameters', async () => {
    const root = await FakeRoot.create();
    try {
      const hw = await collectHardware({ sysRoot: root.dir });
      assert.ok(isHardwareParams(hw));
      assert.deepEqual(
        { ...hw, hostname: '' },
        {
          platform: 'linux',
          osName: 'Linux',
          osVersion: '',
          hostname: '',
          board: '',
          ramBytes: 0,
          bios: '',
          cpus: [],
          nics: [],
          disks: [],
        },
      );
    } finally {
      await root.remove();
    }
  });
});

describe('Linux parsers', () => {
  it('groups /proc/cpuinfo by physical id', () => {
    assert.deepEqual(parseCpuinfo(CPUINFO_2_SOCKETS), [
      'Intel Xeon E5-2680 v4 (14 cores)',
      'Intel Xeon E5-2680 v4 (14 cores)',
    ]);
  });

  it('counts core ids when cpu cores is missing, and keeps sockets apart', () => {
    const text = [
      'processor : 0\nmodel name : AMD EPYC 7302 16-Core Processor\nphysical id : 0\ncore id : 0\n',
      'processor : 1\nmodel name : AMD EPYC 7302 16-Core Processor\nphysical id : 0\ncore id : 0\n',
      'processor : 2\nmodel name : AMD EPYC 7302 16-Core Processor\nphysical id : 0\ncore id : 1\n',
      'processor : 3\nmodel name : AMD EPYC 7302 16-Core Processor\nphysical id : 1\ncore id : 0\n',
    ].join('\n');
    assert.deepEqual(parseCpuinfo(text), [
      'AMD EPYC 7302 16-Core Processor (2 cores)',
      'AMD EPYC 7302 16-Core Processor (1 core)',
    ]);
  });

  it('treats ARM without physical id as one socket', () => {
    const text = [0, 1, 2, 3]
      .map((p) => `processor\t: ${p}\nBogoMIPS\t: 108.00\nCPU implementer\t: 0x41\nCPU part\t: 0xd0b\n`)
      .join('\n');
    assert.deepEqual(parseCpuinfo(text), ['Implementer 0x41 part 0xd0b (4 cores)']);
    const arm32 =
      'processor\t: 0\nBogoMIPS\t: 38.40\n\nprocessor\t: 1\nBogoMIPS\t: 38.40\n\nHardware\t: BCM2835\nModel\t: Raspberry Pi\n';
    assert.deepEqual(parseCpuinfo(arm32), ['BCM2835 (2 cores)']);
  });

  it('parses os-release quoting', () => {
    const f = parseOsRelease(
      'NAME="Debian GNU/Linux"\nVERSION_ID=\'12\'\nID=debian\n# comment\nPRETTY_NAME="A \\"quoted\\" name"\n',
    );
    assert.equal(f.get('NAME'), 'Debian GNU/Linux');
    assert.equal(f.get('VERSION_ID'), '12');
    assert.equal(f.get('ID'), 'debian');
    assert.equal(f.get('PRETTY_NAME'), 'A "quoted" name');
  });

  it('reads MemTotal in bytes', () => {
    assert.equal(parseMemTotal('MemTotal:       24683656 kB\nMemFree: 1 kB\n'), 24683656 * 1024);
    assert.equal(parseMemTotal('MemFree: 1 kB\n'), undefined);
  });

  it('reads the serial from VPD page 0x80', () => {
    assert.equal(parseVpdSerial(vpd80('   Z1D2E3F4')), 'Z1D2E3F4');
    assert.equal(parseVpdSerial(Buffer.from([0, 0x83, 0, 2, 65, 66])), undefined);
    assert.equal(parseVpdSerial(Buffer.alloc(2)), undefined);
  });

  it('survives malformed lsblk output', () => {
    const names = new Set(['sda']);
    assert.equal(serialsFromLsblk('not json', names).size, 0);
    assert.equal(serialsFromLsblk('null', names).size, 0);
    assert.equal(serialsFromLsblk('{"blockdevices":[null, {"name":"sda","serial":null}]}', names).size, 0);
    assert.deepEqual(
      [...serialsFromLsblk('{"blockdevices":[{"name":"sda","serial":"X1","tran":"ieee1394","type":"disk"}]}', names)],
      [],
    );
  });
});
