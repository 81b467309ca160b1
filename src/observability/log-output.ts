/** Log bytes held while stdout is slower than the server; past it, new lines are dropped. */
export const MAX_BUFFERED_LOG_BYTES = 16 * 1024 * 1024;

/** What pino writes to; `flush` is what pino's own flush calls. */
export interface LogOutput {
  write(line: string): boolean;
  flush(cb: (err?: Error) => void): void;
  /** Lines dropped because the buffer was full or stdout failed. */
  dropped(): number;
}

/**
 * Where log lines go: process.stdout, with a bounded buffer in front of it so a request never
 * waits for the log. A pipe or socket (containers, journald, a log shipper) is written without
 * blocking, and when its reader falls behind, lines past the bound are dropped and counted; a
 * file (disk full) or /dev/full fails the write, which turns the log off (and counts) instead of
 * throwing or retrying. pino's own fd destination (sonic-boom) did neither: on /dev/full it
 * retried for ever in a synchronous flush at exit, and with a pipe nobody read its write blocked
 * a thread-pool thread that the exit then waited for, so the server could not stop.
 * docs/security.md rule 22.
 */
export function stdoutLogOutput(
  out: NodeJS.WriteStream & { writableLength: number } = process.stdout,
  { maxWrite = Infinity }: { readonly maxWrite?: number } = {},
): LogOutput {
  let dropped = 0;
  let broken = false;
  // Lines of one turn of the event loop go out in one write: a write per line was the largest
  // single cost of an anonymous pull after signing (for a file or /dev/null, each is a syscall).
  let pending: string[] = [];
  let pendingBytes = 0;
  const drain = (): void => {
    if (pending.length === 0) return;
    const lines = pending;
    pending = [];
    pendingBytes = 0;
    if (broken) return;
    // Lines are joined up to maxWrite bytes; a single longer line goes out on its own.
    let chunk = '';
    for (const line of lines) {
      if (chunk !== '' && chunk.length + line.length > maxWrite) {
        out.write(chunk);
        chunk = '';
      }
      chunk += line;
    }
    out.write(chunk);
  };
  out.on('error', () => {
    // EPIPE, ENOSPC, EIO: the stream is destroyed; nothing after this line can be delivered.
    broken = true;
  });
  return {
    write(line) {
      if (broken || out.writableLength + pendingBytes > MAX_BUFFERED_LOG_BYTES) {
        dropped++;
        return true;
      }
      if (pending.length === 0) setImmediate(drain);
      pending.push(line);
      pendingBytes += line.length;
      // Backpressure is handled here (the bound above), not by pino: always accept the line.
      return true;
    },
    flush(cb) {
      drain();
      if (broken || out.writableLength === 0) return cb();
      out.once('drain', () => cb());
    },
    dropped: () => dropped,
  };
}

/**
 * Waits for buffered lines to reach their destination, but never longer than `ms`. The timer
 * keeps the process alive on purpose: a stop awaits this promise, and with nothing else left on
 * the event loop an unsettled await ends the process with exit code 13 instead of its own.
 */
export function flushWithin(flush: (cb: (err?: Error) => void) => void, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    flush(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
