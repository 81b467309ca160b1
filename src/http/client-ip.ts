import { isIP } from 'node:net';

/**
 * The client address the ACL's `ip` rules see. Behind trusted proxies Fastify has already
 * resolved X-Forwarded-For into `socketOrProxyIp`. docker_auth's `real_ip_header` is honoured
 * as docker_auth does it — the operator asserts that header is set by their proxy — and
 * `real_ip_pos` picks an entry of a comma-separated list, negative counting from the end.
 */
export function clientIp(
  socketOrProxyIp: string | undefined,
  headers: Record<string, string | string[] | undefined>,
  realIpHeader: string | undefined,
  realIpPos: number,
): string | null {
  if (realIpHeader) {
    const raw = headers[realIpHeader.toLowerCase()];
    const value = Array.isArray(raw) ? raw.join(',') : raw;
    if (value) {
      const parts = value.split(',').map((p) => p.trim());
      const index = realIpPos < 0 ? parts.length + realIpPos : realIpPos;
      const candidate = parts[index];
      return candidate && isIP(candidate) ? candidate : null;
    }
  }
  return socketOrProxyIp && isIP(socketOrProxyIp) ? socketOrProxyIp : null;
}
