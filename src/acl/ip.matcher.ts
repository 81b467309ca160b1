/**
 * The `ip` condition: one address or CIDR, IPv4 or IPv6, as Go's `net.ParseIP`/`ParseCIDR` accept
 * them (no zones, no leading zeros in IPv4 parts). Families are kept apart as Go does: an IPv4
 * rule matches IPv4 clients, including IPv4-mapped IPv6 ones (`::ffff:10.1.2.3`, what a dual-stack
 * socket reports), and an IPv6 rule such as `::/0` does not match IPv4 clients.
 */
export interface IpRule {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

export interface ClientIp {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
}

export function parseIpRule(text: string): IpRule | null {
  const slash = text.indexOf('/');
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const address = parseAddress(addressText);
  if (address === null) return null;
  let prefix = address.length * 8;
  if (slash >= 0) {
    const bits = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(bits) || Number(bits) > prefix) return null;
    prefix = Number(bits);
  }
  // Go treats a mapped IPv6 network that still covers the ::ffff: marker as IPv4.
  if (address.length === 16 && isMapped(address) && prefix >= 96) {
    return { family: 4, bytes: address.slice(12), prefix: prefix - 96 };
  }
  return { family: address.length === 4 ? 4 : 6, bytes: address, prefix };
}

/** Parses the client address the HTTP layer saw; a zone (`fe80::1%eth0`) is ignored. */
export function parseClientIp(text: string): ClientIp | null {
  const percent = text.indexOf('%');
  const address = parseAddress(percent < 0 ? text : text.slice(0, percent));
  if (address === null) return null;
  if (address.length === 16 && isMapped(address)) return { family: 4, bytes: address.slice(12) };
  return { family: address.length === 4 ? 4 : 6, bytes: address };
}

export function ipRuleContains(rule: IpRule, client: ClientIp): boolean {
  if (rule.family !== client.family) return false;
  const full = rule.prefix >> 3;
  for (let i = 0; i < full; i++) if (rule.bytes[i] !== client.bytes[i]) return false;
  const rest = rule.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (rule.bytes[full] & mask) === (client.bytes[full] & mask);
}

function isMapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

function parseAddress(text: string): Uint8Array | null {
  return text.includes(':') ? parseIpv6(text) : parseIpv4(text);
}

function parseIpv4(text: string): Uint8Array | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i];
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return null;
    out[i] = Number(p);
  }
  return out;
}

function parseIpv6(text: string): Uint8Array | null {
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] === '' ? [] : halves[0].split(':');
  const tail = halves.length === 2 ? (halves[1] === '' ? [] : halves[1].split(':')) : [];
  const groups: number[] = [];
  const all = [...head, ...tail];
  const tailGroups: number[] = [];
  for (let i = 0; i < all.length; i++) {
    const part = all[i];
    const target = i < head.length ? groups : tailGroups;
    const lastOfText = i === all.length - 1 && (halves.length === 1 || tail.length > 0);
    if (lastOfText && part.includes('.')) {
      const v4 = parseIpv4(part);
      if (v4 === null) return null;
      target.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
    } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
      target.push(parseInt(part, 16));
    } else {
      return null;
    }
  }
  const count = groups.length + tailGroups.length;
  if (halves.length === 1 ? count !== 8 : count > 7) return null;
  const words = [...groups, ...new Array<number>(8 - count).fill(0), ...tailGroups];
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}
