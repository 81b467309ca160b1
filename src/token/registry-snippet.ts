/**
 * The `auth` section a distribution registry needs to trust this server. realm is what clients
 * call; service and issuer must match exactly what we put in `aud` and `iss`.
 */
export function registrySnippet(opts: { realm: string; service: string; issuer: string; bundlePath: string }): string {
  return [
    'auth:',
    '  token:',
    `    realm: ${opts.realm}`,
    `    service: ${JSON.stringify(opts.service)}`,
    `    issuer: ${JSON.stringify(opts.issuer)}`,
    `    rootcertbundle: ${opts.bundlePath}`,
  ].join('\n');
}

/** Where clients reach us: a wildcard listen address is shown as loopback, to be replaced. */
export function realmFor(scheme: 'http' | 'https', host: string, port: number, pathPrefix: string): string {
  const shown = host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host;
  return `${scheme}://${shown.includes(':') ? `[${shown}]` : shown}:${port}${pathPrefix}/auth`;
}
