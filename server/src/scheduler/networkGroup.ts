// Which replicas count as "the same place": volunteers behind one public address could be one
// person running many tabs, so two replicas of a unit never go to the same public network.
// Loopback and private ranges are exempt by default so one machine or lab can run many tabs.
import { isIP } from 'node:net';

function isPrivateV4(address: string): boolean {
  const parts = address.split('.').map(Number);
  const [a = 0, b = 0] = parts;
  return (
    a === 10 ||
    a === 127 ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 169 && b === 254) ||
    (a === 100 && b >= 64 && b <= 127) // carrier-grade NAT
  );
}

/**
 * The network group of a remote address: the IPv4 address itself, or the /64 prefix of an IPv6
 * address; null for loopback/private addresses when they are exempt, or for anything unparsable.
 */
export function networkGroup(address: string | undefined, exemptPrivate: boolean): string | null {
  if (!address) return null;
  const plain = address.startsWith('::ffff:') ? address.slice(7) : address;
  const family = isIP(plain);
  if (family === 4) {
    if (exemptPrivate && isPrivateV4(plain)) return null;
    return `v4:${plain}`;
  }
  if (family === 6) {
    const lower = plain.toLowerCase();
    const isLocal =
      lower === '::1' ||
      lower.startsWith('fc') ||
      lower.startsWith('fd') ||
      lower.startsWith('fe80');
    if (exemptPrivate && isLocal) return null;
    const groups = expandV6(lower).slice(0, 4);
    return `v6:${groups.join(':')}::/64`;
  }
  return null;
}

function expandV6(address: string): string[] {
  const [head = '', tail] = address.split('::');
  const headParts = head ? head.split(':') : [];
  const tailParts = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const zeros = Array(Math.max(0, 8 - headParts.length - tailParts.length)).fill('0');
  return [...headParts, ...(tail !== undefined ? zeros : []), ...tailParts].map((p) =>
    p.padStart(4, '0'),
  );
}
