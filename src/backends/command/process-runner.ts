import type { ChildProcess } from 'node:child_process';
import crossSpawn from 'cross-spawn';
import { performance } from 'node:perf_hooks';
import { CommandError } from './command-error.js';

/** Process groups started and not yet gone, across every command of the process: for metrics. */
let live = 0;
export const runningProcessGroups = (): number => live;

/** Everything needed to start one command, fixed at load: no request data reaches argv or env. */
export interface ProcessSpec {
  /** Absolute path of the executable. */
  readonly file: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** The command as configured; names it in log messages. */
  readonly shown: string;
  readonly timeoutMs: number;
  readonly maxStdoutBytes: number;
  readonly maxStderrBytes: number;
  /** Between SIGTERM and SIGKILL to the process group. */
  readonly killGraceMs: number;
}

export interface ProcessResult {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: Buffer;
  /** The first maxStderrBytes bytes, for logs. */
  readonly stderr: string;
}

export interface RunningProcess {
  /** Settles with the exit status, or rejects with a CommandError at the deadline, promptly. */
  readonly result: Promise<ProcessResult>;
  /** Resolves once the child has exited and its process group has been told to go. */
  readonly done: Promise<void>;
  /** Kills the whole process group now (shutdown). */
  kill(): void;
}

/**
 * How long, after the command itself exited, we wait for its pipes to reach end-of-file. A
 * grandchild that inherited stdout keeps the pipe open; what the command wrote before exiting
 * is already in the pipe and arrives well within this time.
 */
const PIPE_DRAIN_MS = 100;
const GROUP_POLL_MS = 25;

/**
 * Starts `spec` without a shell in a process group of its own (detached), so a deadline or a
 * leftover grandchild can be killed as a group: SIGTERM, then SIGKILL after the grace period.
 * `input` is written to stdin; a child that exits without reading it is fine (EPIPE ignored).
 */
export function runProcess(spec: ProcessSpec, input: string, signal?: AbortSignal): RunningProcess {
  let child: ChildProcess;
  try {
    child = crossSpawn(spec.file, [...spec.args], { env: { ...spec.env }, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (err) {
    const failure = spawnError(spec, err);
    return { result: Promise.reject(failure), done: Promise.resolve(), kill: () => {} };
  }

  let settle!: { resolve: (r: ProcessResult) => void; reject: (e: CommandError) => void };
  const result = new Promise<ProcessResult>((resolve, reject) => (settle = { resolve, reject }));
  let settled = false;
  let markDone!: () => void;
  live++;
  const done = new Promise<void>((resolve) => (markDone = resolve)).finally(() => void live--);

  const stdout: Buffer[] = [];
  let stdoutBytes = 0;
  let stderr = '';
  let stderrBytes = 0;
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let openPipes = 2;
  let groupState: 'running' | 'killing' | 'gone' = 'running';
  const timers = new Set<NodeJS.Timeout>();
  const after = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const pgid = child.pid;
  const signalGroup = (sig: NodeJS.Signals | 0): boolean => {
    if (pgid === undefined) return false;
    try {
      process.kill(-pgid, sig);
      return true;
    } catch {
      return false; // ESRCH: nothing left in the group
    }
  };
  const maybeDone = (): void => {
    if (!exit || groupState !== 'gone' || openPipes > 0) return;
    for (const t of timers) clearTimeout(t);
    clearTimeout(deadline);
    signal?.removeEventListener('abort', onAbort);
    markDone();
  };
  /** TERM the group, KILL whatever is still there after the grace period. */
  const killGroup = (): void => {
    if (groupState !== 'running') return;
    groupState = 'killing';
    const gone = (): void => {
      groupState = 'gone';
      maybeDone();
    };
    if (!signalGroup('SIGTERM')) return gone();
    // Monotonic: a wall-clock step back must not keep a process alive past its grace period.
    const killAt = performance.now() + spec.killGraceMs;
    const poll = (): void => {
      if (!signalGroup(0)) return gone();
      if (performance.now() < killAt) return after(GROUP_POLL_MS, poll);
      signalGroup('SIGKILL');
      gone();
    };
    after(GROUP_POLL_MS, poll);
  };
  const closePipes = (): void => {
    child.stdout?.destroy();
    child.stderr?.destroy();
  };

  const fail = (error: CommandError): void => {
    if (!settled) {
      settled = true;
      settle.reject(error);
    }
    closePipes();
    killGroup();
  };
  const succeed = (): void => {
    if (settled || !exit) return;
    settled = true;
    settle.resolve({ exitCode: exit.code, signal: exit.signal, stdout: Buffer.concat(stdout, stdoutBytes), stderr });
    closePipes();
  };

  const deadline = setTimeout(
    () => fail(new CommandError('timeout', spec.shown, `no answer within ${spec.timeoutMs} ms; process group killed`)),
    spec.timeoutMs,
  );
  const onAbort = (): void => fail(new CommandError('aborted', spec.shown, 'request deadline passed; process group killed'));
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });

  child.once('error', (err) => {
    fail(spawnError(spec, err));
    if (child.pid === undefined) {
      // Never started: no exit event, no group, no pipes worth waiting for.
      exit = { code: null, signal: null };
      groupState = 'gone';
      openPipes = 0;
      maybeDone();
    }
  });
  child.stdin?.on('error', () => {
    // EPIPE: the command exited (or closed stdin) without reading everything. Its exit status
    // decides the answer; there is nothing to report here.
  });
  child.stdin?.end(input);

  child.stdout?.on('data', (chunk: Buffer) => {
    stdoutBytes += chunk.length;
    if (stdoutBytes > spec.maxStdoutBytes) {
      fail(new CommandError('output_too_large', spec.shown, `more than ${spec.maxStdoutBytes} bytes on stdout; process group killed`));
      return;
    }
    stdout.push(chunk);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    // Kept for the log up to the cap; the rest is read and dropped so the child never blocks.
    if (stderrBytes < spec.maxStderrBytes) stderr += chunk.subarray(0, spec.maxStderrBytes - stderrBytes).toString('utf8');
    stderrBytes += chunk.length;
  });
  const pipeClosed = (): void => {
    openPipes = Math.max(0, openPipes - 1);
    if (openPipes === 0) succeed();
    maybeDone();
  };
  child.stdout?.once('close', pipeClosed);
  child.stderr?.once('close', pipeClosed);

  child.once('exit', (code, sig) => {
    exit = { code, signal: sig };
    clearTimeout(deadline);
    // Anything left in the group now is a leftover grandchild: it must not outlive the request.
    killGroup();
    if (openPipes === 0) succeed();
    else after(PIPE_DRAIN_MS, succeed);
    maybeDone();
  });

  return { result, done, kill: () => fail(new CommandError('aborted', spec.shown, 'server shutting down; process group killed')) };
}

function spawnError(spec: ProcessSpec, err: unknown): CommandError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new CommandError('not_found', spec.shown, `cannot start: ${spec.file} not found`);
  if (code === 'EACCES') return new CommandError('not_executable', spec.shown, `cannot start: ${spec.file} is not executable`);
  return new CommandError('spawn_failed', spec.shown, `cannot start: ${code ?? (err instanceof Error ? err.message : String(err))}`);
}
