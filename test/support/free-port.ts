import { createServer } from 'node:net';

/**
 * A loopback port that was free a moment ago. The caller binds it soon after; the small race
 * is acceptable for tests, and it is the only way to tell a child process (the registry) its
 * port before it starts.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (typeof address !== 'object' || address === null) {
        server.close();
        reject(new Error('freePort: listening socket has no address'));
        return;
      }
      server.close((err) => (err ? reject(err) : resolve(address.port)));
    });
  });
}
