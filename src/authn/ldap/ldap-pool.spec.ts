import type { LdapConnection } from './ldap-connection.js';
import { LdapError } from './ldap-error.js';
import { ServiceConnectionPool } from './ldap-pool.js';

/**
 * The pool's bookkeeping, with stand-in connections: the race it guards against (a pooled
 * connection dead before its socket says so) cannot be produced on demand with a real server.
 * The real-server behaviour is covered in test/integration/ldap*.spec.ts.
 */
class StandIn {
  usable = true;
  closed = false;
  destroyed = false;
  constructor(readonly id: number) {}
  setIdle(): void {}
  async close(): Promise<void> {
    this.closed = true;
    this.usable = false;
  }
  destroy(): void {
    this.destroyed = true;
    this.usable = false;
  }
}

function buildSut(maxIdle = 2) {
  const opened: StandIn[] = [];
  const sut = new ServiceConnectionPool(async () => {
    const conn = new StandIn(opened.length + 1);
    opened.push(conn);
    return conn as unknown as LdapConnection;
  }, maxIdle);
  return { sut, opened };
}

const signal = new AbortController().signal;
const idOf = async (conn: LdapConnection): Promise<number> => (conn as unknown as StandIn).id;

describe('ServiceConnectionPool', () => {
  it('reuses a returned connection', async () => {
    const { sut, opened } = buildSut();
    expect(await sut.use(idOf, signal)).toBe(1);
    expect(await sut.use(idOf, signal)).toBe(1);
    expect(opened).toHaveLength(1);
    await sut.close();
  });

  it('gives concurrent users different connections', async () => {
    const { sut } = buildSut();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = sut.use(async (c) => (await gate, idOf(c)), signal);
    const second = sut.use(idOf, signal);
    expect(await second).toBe(2);
    release();
    expect(await first).toBe(1);
    await sut.close();
  });

  it('keeps at most maxIdle connections and closes the rest', async () => {
    const { sut, opened } = buildSut(1);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const uses = [0, 1, 2].map(() => sut.use(async () => gate, signal));
    release();
    await Promise.all(uses);
    expect(opened).toHaveLength(3);
    expect(sut.idleCount).toBe(1);
    expect(opened.filter((c) => c.closed)).toHaveLength(2);
    await sut.close();
  });

  it('runs the work again on a fresh connection when a pooled one turns out lost', async () => {
    const { sut, opened } = buildSut();
    await sut.use(idOf, signal);
    const result = await sut.use(async (c) => {
      if ((await idOf(c)) === 1) throw new LdapError('connection_lost', 'closed');
      return idOf(c);
    }, signal);
    expect(result).toBe(2);
    expect(opened[0].destroyed).toBe(true);
    await sut.close();
  });

  it('does not retry other failures, and destroys the connection they happened on', async () => {
    const { sut, opened } = buildSut();
    await sut.use(idOf, signal);
    await expect(sut.use(async () => Promise.reject(new LdapError('timeout', 'slow')), signal)).rejects.toMatchObject({ code: 'timeout' });
    expect(opened).toHaveLength(1);
    expect(opened[0].destroyed).toBe(true);
    await sut.close();
  });

  it.each(['search_failed', 'ambiguous_account'] as const)('keeps the connection after a failure the server answered (%s)', async (code) => {
    const { sut, opened } = buildSut();
    await expect(sut.use(async () => Promise.reject(new LdapError(code, 'refused')), signal)).rejects.toMatchObject({ code });
    expect(await sut.use(idOf, signal)).toBe(1);
    expect(opened[0].destroyed).toBe(false);
    await sut.close();
  });

  it('skips pooled connections that died while idle', async () => {
    const { sut, opened } = buildSut();
    await sut.use(idOf, signal);
    opened[0].usable = false;
    expect(await sut.use(idOf, signal)).toBe(2);
    await sut.close();
  });

  it('closes idle connections on close() and those returned after it', async () => {
    const { sut, opened } = buildSut();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const busy = sut.use(async () => gate, signal);
    await sut.use(idOf, signal);
    await sut.close();
    release();
    await busy;
    expect(opened.every((c) => c.closed)).toBe(true);
  });
});
