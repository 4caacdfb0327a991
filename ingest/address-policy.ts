/**
 * Which IP addresses a URL fetch may connect to. Videos come from the public internet;
 * addresses of this host, its private networks and its cloud metadata service
 * (169.254.169.254) are refused, so a submitted URL cannot reach them (SSRF).
 * Ranges: IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and updates).
 */
import { isIPv4, isIPv6 } from 'node:net';

/** IPv4 ranges that are not public unicast. */
const IPV4_REFUSED: Array<[string, number]> = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private (RFC 1918)
  ['100.64.0.0', 10], // carrier-grade NAT (RFC 6598)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata services
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation (TEST-NET-1)
  ['192.88.99.0', 24], // 6to4 relay anycast (deprecated)
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation (TEST-NET-2)
  ['203.0.113.0', 24], // documentation (TEST-NET-3)
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and 255.255.255.255 broadcast
];

/** IPv6 ranges that are not public unicast (embedded IPv4 forms are checked as IPv4). */
const IPV6_REFUSED: Array<[string, number]> = [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['100::', 64], // discard-only
  ['2001::', 23], // IETF protocol assignments (Teredo, ORCHID, ...)
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
];

/** True when `address` (an IPv4 or IPv6 literal) is public unicast; false for anything else. */
export function isPublicAddress(address: string): boolean {
  if (isIPv4(address)) return isPublicIPv4(ipv4ToNumber(address));
  if (!isIPv6(address)) return false;
  const value = ipv6ToBigInt(address.replace(/%.*$/, ''));
  const embedded = embeddedIPv4(value);
  if (embedded !== undefined) return isPublicIPv4(embedded);
  return !IPV6_REFUSED.some(([base, bits]) => inRange(value, ipv6ToBigInt(base), bits, 128));
}

function isPublicIPv4(value: number): boolean {
  return !IPV4_REFUSED.some(([base, bits]) => inRange(BigInt(value), BigInt(ipv4ToNumber(base)), bits, 32));
}

/**
 * The IPv4 address inside IPv4-mapped (::ffff:0:0/96), IPv4-compatible (::/96),
 * NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses, which reach that IPv4 host.
 */
function embeddedIPv4(value: bigint): number | undefined {
  const low32 = Number(value & 0xffffffffn);
  const high96 = value >> 32n;
  if (high96 === 0xffffn || (high96 === 0n && low32 > 1)) return low32;
  if (high96 === 0x0064ff9b0000000000000000n) return low32;
  if (value >> 112n === 0x2002n) return Number((value >> 80n) & 0xffffffffn);
  return undefined;
}

function inRange(value: bigint, base: bigint, bits: number, width: number): boolean {
  const shift = BigInt(width - bits);
  return value >> shift === base >> shift;
}

function ipv4ToNumber(address: string): number {
  return address.split('.').reduce((value, octet) => value * 256 + Number(octet), 0);
}

function ipv6ToBigInt(address: string): bigint {
  let text = address;
  // A trailing dotted IPv4 part (::ffff:127.0.0.1) becomes two hextets.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = ipv4ToNumber(dotted[1]!);
    text = `${text.slice(0, dotted.index)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const headParts = head === '' ? [] : head.split(':');
  const tailParts = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : Array<string>(8 - headParts.length - tailParts.length).fill('0');
  return [...headParts, ...zeros, ...tailParts].reduce((value, part) => (value << 16n) + BigInt(parseInt(part, 16)), 0n);
}
