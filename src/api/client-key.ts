import { isIPv4, isIPv6 } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * What the brute-force limit counts a client address under. IPv4: the address, also when written
 * IPv4-mapped (`::ffff:198.51.100.7`, as a dual-stack socket reports it). IPv6: its /64, since a
 * subscriber is handed a whole /64 and can pick a new address in it for every attempt. A port a
 * proxy appended (`198.51.100.7:51234`, `[2001:db8::1]:443`) is left out. Anything else (not an
 * address) is counted as written.
 */
export function clientKey(address: string): string {
  const host = withoutPort(address.trim());
  const bare = host.split('%')[0] ?? host; // a zone: fe80::1%eth0
  if (isIPv4(bare)) return bare;
  if (!isIPv6(bare)) return address;
  const ip = ipaddr.IPv6.parse(bare);
  if (ip.isIPv4MappedAddress()) return ip.toIPv4Address().toString();
  return `${ip.parts
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(':')}::/64`;
}

function withoutPort(host: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(host);
  if (bracketed?.[1]) return bracketed[1];
  const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(host);
  return v4WithPort?.[1] ?? host;
}
