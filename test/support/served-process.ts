import { spawn, type ChildProcess } from 'node:child_process';
import { scanLogLine } from './log-scan.js';
import { eventually } from './settled.js';

/**
 * The built server as an operator runs it: a real process (`bin/regauth.js serve` or
 * `dist/main.js`), real signals, its JSON log lines and banner kept for assertions.
 */
export interface ServedProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** Parsed JSON log lines (stdout). */
  readonly logs: Array<Record<string, unknown>>;
  /** Everything written to stderr (banner, start-up errors). */
  stderr(): string;
  /** Log lines whose `msg` equals `message`. */
  logged(message: string): Array<Record<string, unknown>>;
  /** Resolves with how the process ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
  /** Kills the process if a test left it running. */
  stop(): Promise<void>;
}

export async function startServed(args: readonly string[], port: number, env: NodeJS.ProcessEnv = {}): Promise<ServedProcess> {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Array<Record<string, unknown>> = [];
  let stderr = '';
  let pending = '';
  child.stdout.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines.filter(Boolean)) {
      scanLogLine(line);
      logs.push(JSON.parse(line) as Record<string, unknown>);
    }
  });
  child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString('utf8')));
  let ended = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      ended = true;
      resolve({ code, signal });
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const served: ServedProcess = {
    child,
    url,
    logs,
    stderr: () => stderr,
    logged: (message) => logs.filter((l) => l.msg === message),
    exited,
    alive: () => !ended,
    async stop() {
      if (!ended) child.kill('SIGKILL');
      await exited;
    },
  };
  await eventually(() => ended || served.logged('regauth listening').length > 0, 15_000);
  if (served.logged('regauth listening').length === 0) {
    await served.stop();
    throw new Error(`server did not start:\n${stderr}`);
  }
  return served;
}
