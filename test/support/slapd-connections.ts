import { existsSync, readFileSync } from 'node:fs';

/**
 * Established TCP connections from this machine to a local port, counted by the kernel
 * (/proc/net/tcp), not by our own bookkeeping: a leak check that cannot be fooled by the code
 * it checks. Linux only; elsewhere it returns undefined and callers skip the assertion.
 */
export function establishedConnectionsTo(port: number): number | undefined {
  const tables = ['/proc/net/tcp', '/proc/net/tcp6'].filter((f) => existsSync(f));
  if (tables.length === 0) return undefined;
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  let count = 0;
  for (const table of tables) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // fields: sl local_address rem_address st ...; state 01 = ESTABLISHED
      if (fields.length > 3 && fields[2].endsWith(`:${hexPort}`) && fields[3] === '01') count++;
    }
  }
  return count;
}

/** Polls until the count drops to at most `max` (closing sockets take a moment), then returns it. */
export async function settledConnectionsTo(port: number, max: number, timeoutMs = 3_000): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  let count = establishedConnectionsTo(port);
  while (count !== undefined && count > max && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    count = establishedConnectionsTo(port);
  }
  return count;
}
