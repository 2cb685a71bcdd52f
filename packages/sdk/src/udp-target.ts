/** Where a UDP packet goes: `host` or `host:port`, as the options of discovery and duplicate detection take it. */
import { LictorError } from '@lictor/protocol';

/** A parsed UDP target. */
export interface UdpTarget {
  host: string;
  port: number;
}

/**
 * Parses `host` or `host:port` (an IPv4 address or a host name); `defaultPort` when it names no
 * port. Throws `LICTOR_E_INVALID_INPUT` naming `option` (e.g. `"x" is not a discovery target`).
 */
export function parseUdpTarget(target: string, defaultPort: number, option: string): UdpTarget {
  const m = /^([^\s:]+)(?::(\d+))?$/.exec(target.trim());
  const port = m?.[2] === undefined ? defaultPort : Number(m[2]);
  if (!m?.[1] || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new LictorError(
      'LICTOR_E_INVALID_INPUT',
      `"${target}" is not a ${option}: expected an IPv4 address or host name, with an optional :port (1–65535)`,
      { field: 'targets' },
    );
  }
  return { host: m[1], port };
}
