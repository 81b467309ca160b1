import { createServer } from 'node:net';
import { freePort } from './free-port.js';

describe('freePort', () => {
  it('returns a loopback port that can be listened on right away', async () => {
    const sut = await freePort();
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(sut, '127.0.0.1', resolve);
    });
    const address = server.address();
    await new Promise((resolve) => server.close(resolve));
    expect(typeof address === 'object' && address?.port).toBe(sut);
  });

  it('returns a port in the unprivileged range', async () => {
    const sut = await freePort();
    expect(sut).toBeGreaterThan(1023);
    expect(sut).toBeLessThan(65536);
  });
});
