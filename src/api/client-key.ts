import { isIPv4, isIPv6 } from 'node:net';

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
  const groups = ipv6Groups(bare);
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    const [high = 0, low = 0] = groups.slice(6);
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
  }
  return `${groups
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

/** The eight 16-bit groups of an address `isIPv6` accepts. */
function ipv6Groups(address: string): number[] {
  let text = address;
  const v4Tail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4Tail) {
    const [a, b, c, d] = v4Tail.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4Tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const hex = (part: string | undefined) =>
    part ? part.split(':').map((group) => Number.parseInt(group, 16)) : [];
  const [head, tail] = text.split('::');
  const front = hex(head);
  if (tail === undefined) return front;
  const back = hex(tail);
  return [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
}
