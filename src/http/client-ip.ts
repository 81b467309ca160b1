import { isIP } from 'node:net';

export interface ClientIpInput {
  /** The TCP peer. */
  readonly peer: string | undefined;
  /** Fastify's request ip: the peer, or what X-Forwarded-For says when the peer is a trusted proxy. */
  readonly resolved: string | undefined;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly realIpHeader: string | undefined;
  readonly realIpPos: number;
  readonly realIpFrom: 'trusted_proxies' | 'any';
  readonly trustedProxy: (address: string | undefined) => boolean;
}

export type ClientIp = { readonly ok: true; readonly ip: string | null } | { readonly ok: false; readonly reason: string };

/**
 * The client address that ACL `ip` rules and the failed-login throttle see (docs/security.md
 * rule 3). A forwarded address is believed only from a trusted proxy — unless a docker_auth file
 * asked for its behaviour (`real_ip_from: any`), which the loader warns about. A forwarded value
 * that is not an address is a malformed request (400): answering with no address would skip
 * every `ip` deny rule. `real_ip_pos` picks an entry of a comma-separated list, negative counting
 * from the end.
 */
export function clientIp(input: ClientIpInput): ClientIp {
  const { realIpHeader } = input;
  if (realIpHeader && (input.realIpFrom === 'any' || input.trustedProxy(input.peer))) {
    const raw = input.headers[realIpHeader.toLowerCase()];
    const value = Array.isArray(raw) ? raw.join(',') : raw;
    if (value !== undefined) {
      const parts = value.split(',').map((p) => p.trim());
      const index = input.realIpPos < 0 ? parts.length + input.realIpPos : input.realIpPos;
      const candidate = parts[index];
      if (candidate && isIP(candidate)) return { ok: true, ip: candidate };
      return { ok: false, reason: `${realIpHeader} does not hold an address at position ${input.realIpPos}` };
    }
  }
  if (!input.resolved) return { ok: true, ip: null };
  if (isIP(input.resolved)) return { ok: true, ip: input.resolved };
  return { ok: false, reason: 'X-Forwarded-For from a trusted proxy does not hold an address' };
}
