import { connect, createServer, type Server, type Socket } from 'node:net';

/** A TCP server that accepts connections and never says a word: a hung directory. */
export interface SilentServer {
  /** host:port, for `ldap://` or `ldaps://` URLs and docker_auth's `addr`. */
  readonly addr: string;
  readonly port: number;
  /** Connections accepted so far: shows whether a client tried this server at all. */
  readonly accepted: number;
  close(): Promise<void>;
}

export interface SilentServerOptions {
  /** Pass the first `connections` through to a real server on `port`, then go silent. */
  readonly answerFirst?: { readonly port: number; readonly connections: number };
}

/**
 * With `answerFirst`, a server that hangs after serving a while: connections opened before
 * work, later ones never get an answer (e.g. a pooled service connection is fine, the next
 * user connection hangs).
 */
export async function startSilentServer(options: SilentServerOptions = {}): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  const track = (s: Socket): void => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  };
  let accepted = 0;
  const server: Server = createServer((client) => {
    accepted++;
    track(client);
    const forward = options.answerFirst;
    if (forward && accepted <= forward.connections) {
      const upstream = connect({ host: '127.0.0.1', port: forward.port });
      track(upstream);
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    addr: `127.0.0.1:${port}`,
    port,
    get accepted() {
      return accepted;
    },
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}
