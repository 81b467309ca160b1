/**
 * Whether a URL host names this machine: plain http to it never crosses a network, which is why
 * callbacks and OIDC issuers on loopback are exempt from the https rule (docs/security.md).
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
