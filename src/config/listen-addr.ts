/** `host:port` as docker_auth writes it; `:5001` means every interface. */
export function splitAddr(addr: string): [host: string, port: number] {
  const i = addr.lastIndexOf(':');
  const host = addr.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  return [host === '' ? '0.0.0.0' : host, Number(addr.slice(i + 1))];
}
