import { BlockList, isIP } from 'node:net';

/** `10.0.0.5`, `10.0.0.0/8`, `2001:db8::/32`: one address or a CIDR block. */
export function isAddressOrCidr(value: string): boolean {
  const [address, bits, ...rest] = value.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  try {
    new BlockList().addSubnet(address, Number(bits), family === 4 ? 'ipv4' : 'ipv6');
    return true;
  } catch {
    return false;
  }
}

/**
 * A set of addresses and CIDR blocks (already validated with isAddressOrCidr), built once per
 * config. IPv4-mapped IPv6 addresses (`::ffff:10.0.0.5`, how a dual-stack socket reports an IPv4
 * peer) match their IPv4 entries.
 */
export function addressList(entries: readonly string[]): (address: string | undefined) => boolean {
  if (entries.length === 0) return () => false;
  const list = new BlockList();
  for (const entry of entries) {
    const [address, bits] = entry.split('/') as [string, string | undefined];
    const type = isIP(address) === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(bits), type);
  }
  return (address) => {
    if (!address) return false;
    const unmapped = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
    const family = isIP(unmapped);
    return family !== 0 && list.check(unmapped, family === 4 ? 'ipv4' : 'ipv6');
  };
}
