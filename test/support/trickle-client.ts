import { connect, type Socket } from 'node:net';

/** How a trickling client fared: what it managed to send, what came back, whether it was cut. */
export interface TrickleResult {
  readonly sent: number;
  readonly total: number;
  readonly response: string;
  readonly closedByServer: boolean;
}

/**
 * A slow client on a real socket: writes `head` at once, then one piece of `pieces` every
 * `everyMs`, and stops when the server closes the connection or every piece is sent. Bounded by
 * the number of pieces.
 */
export function trickle(port: number, head: string, pieces: readonly string[], everyMs: number): Promise<TrickleResult> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1');
    let sent = 0;
    let response = '';
    let closed = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (closedByServer: boolean): void => {
      clearInterval(timer);
      socket.destroy();
      resolve({ sent, total: pieces.length, response, closedByServer });
    };
    socket.on('data', (chunk: Buffer) => void (response += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      finish(sent < pieces.length);
    });
    socket.on('connect', () => {
      socket.write(head);
      timer = setInterval(() => {
        if (closed) return;
        if (sent === pieces.length) return finish(false);
        socket.write(pieces[sent]);
        sent += 1;
      }, everyMs);
    });
  });
}

/** Opens a connection and resolves once it is established, or closed by the server first. */
export function openConnection(port: number): Promise<{ socket: Socket; closed: () => boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let isClosed = false;
    socket.on('close', () => void (isClosed = true));
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve({ socket, closed: () => isClosed }));
    socket.once('error', reject);
  });
}
