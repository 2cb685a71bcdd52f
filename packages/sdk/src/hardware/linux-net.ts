import { type AdapterInfo, excludedAdapterReason, isLocallyAdministered } from './adapters.js';
import { busOfDevicePath, exists, listDir, readAttr, resolveInRoot } from './sysfs.js';

/** A Linux network adapter as read from `/sys/class/net/<name>`, with the verdict of the exclusion rules. */
export interface LinuxAdapter extends AdapterInfo {
  /** `addr_assign_type`: 0 permanent, 1 random, 2 stolen, 3 set from user space. */
  assignType?: number;
  /** Why the adapter is not compared, `undefined` when it is. */
  excluded?: string;
}

/** `DEVTYPE` values (from `uevent`) of software-only devices. */
const SOFTWARE_DEVTYPES = new Set([
  'bridge',
  'bond',
  'team',
  'vlan',
  'wireguard',
  'vxlan',
  'geneve',
  'macvlan',
  'macvtap',
  'ipvlan',
  'vrf',
  'hsr',
]);

function int(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number.parseInt(text, 10);
  return Number.isFinite(n) ? n : undefined;
}

/** Reads one adapter under `<root>/sys/class/net/<name>`. */
async function readLinuxAdapter(root: string, name: string): Promise<LinuxAdapter> {
  const dir = `sys/class/net/${name}`;
  const [address, permAddress, type, assign, uevent, path, hasDevice, wireless, phy, bridge, bonding, tun] =
    await Promise.all([
      readAttr(root, `${dir}/address`),
      readAttr(root, `${dir}/bonding_slave/perm_hwaddr`),
      readAttr(root, `${dir}/type`),
      readAttr(root, `${dir}/addr_assign_type`),
      readAttr(root, `${dir}/uevent`),
      resolveInRoot(root, dir),
      exists(root, `${dir}/device`),
      exists(root, `${dir}/wireless`),
      exists(root, `${dir}/phy80211`),
      exists(root, `${dir}/bridge`),
      exists(root, `${dir}/bonding`),
      exists(root, `${dir}/tun_flags`),
    ]);
  const devtype = /^DEVTYPE=(.+)$/m.exec(uevent ?? '')?.[1]?.trim();
  const software = bridge
    ? 'bridge'
    : bonding
      ? 'bond'
      : tun
        ? 'tun'
        : devtype !== undefined && SOFTWARE_DEVTYPES.has(devtype)
          ? devtype
          : undefined;
  const bus = !hasDevice || path === undefined ? 'virtual' : busOfDevicePath(path);
  // A bond slave shows the bond's MAC; its own burnt-in one is kept in perm_hwaddr.
  const mac = permAddress ?? address ?? '';
  const assignType = permAddress === undefined ? int(assign) : 0;
  // Random (1) MACs are regenerated at every boot. A MAC set from user space (3) is kept
  // when it is a vendor (universally administered) address, e.g. NetworkManager restoring
  // the permanent MAC after a randomized scan, and dropped when it is locally administered,
  // i.e. a random or per-network address that would later read as "adapter removed".
  const randomMac = assignType === 1 || (assignType === 3 && isLocallyAdministered(mac));
  const adapter: LinuxAdapter = {
    name,
    mac,
    bus,
    wireless: wireless || phy || devtype === 'wlan',
    randomMac,
  };
  const arpType = int(type);
  if (arpType !== undefined) adapter.arpType = arpType;
  if (devtype !== undefined) adapter.description = devtype;
  if (software !== undefined) adapter.software = software;
  if (assignType !== undefined) adapter.assignType = assignType;
  adapter.excluded = excludedAdapterReason(adapter);
  return adapter;
}

/** Reads every adapter under `<root>/sys/class/net`, compared or not. */
export async function readLinuxAdapters(root: string): Promise<LinuxAdapter[]> {
  const names = await listDir(root, 'sys/class/net');
  return Promise.all(names.map((name) => readLinuxAdapter(root, name)));
}
