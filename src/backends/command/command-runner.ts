import { childEnvironment } from './child-environment.js';
import type { CommandOptions } from './command.schema.js';
import { ConcurrencyLimiter } from '../../common/concurrency-limiter.js';
import { workerShare } from '../../common/worker-share.js';
import { runProcess, type ProcessResult, type ProcessSpec, type RunningProcess } from './process-runner.js';
import type { BackendBuildContext } from '../../common/build-context.js';
import { resolveCommand } from './resolve-command.js';

/** stderr is only kept for the log line of a failure. */
const MAX_STDERR_BYTES = 4096;
const KILL_GRACE_MS = 1000;

export interface CommandRunner {
  /** The command as configured, for messages. */
  readonly shown: string;
  /** Runs the command once with `input` on stdin, within the concurrency bound. */
  run(input: string, signal: AbortSignal): Promise<ProcessResult>;
  /** Kills every running process group and waits for them (graceful shutdown, reload). */
  close(): Promise<void>;
}

/**
 * One configured command, prepared at load: executable resolved and checked, environment
 * computed, concurrency bound set up. Throws CommandError when the executable is missing or not
 * executable, so the config is refused at start.
 */
export function createCommandRunner(options: CommandOptions, ctx: BackendBuildContext, env: NodeJS.ProcessEnv = process.env): CommandRunner {
  const childEnv = childEnvironment({ names: options.env, inherit: options.inherit_env }, env);
  const file = resolveCommand(options.command, ctx.baseDir, env.PATH);
  // A script of the operator's (a path) is watched; a program found in PATH is the system's.
  if (options.command.includes('/')) ctx.uses(file);
  const spec: ProcessSpec = Object.freeze({
    file,
    args: Object.freeze([...options.args]),
    env: Object.freeze(childEnv),
    shown: options.command,
    timeoutMs: options.timeout,
    maxStdoutBytes: options.max_output,
    maxStderrBytes: MAX_STDERR_BYTES,
    killGraceMs: KILL_GRACE_MS,
  });
  const limiter = new ConcurrencyLimiter({ concurrency: workerShare(options.concurrency), queue: options.queue, name: `command ${options.command}` });
  const active = new Set<RunningProcess>();

  return {
    shown: options.command,
    async run(input, signal) {
      const release = await limiter.acquire(signal);
      const proc = runProcess(spec, input, signal);
      active.add(proc);
      // The slot stays taken until the process group is gone, not just until we have an answer.
      void proc.done.then(() => {
        active.delete(proc);
        release();
      });
      return proc.result;
    },
    async close() {
      const running = [...active];
      for (const proc of running) proc.kill();
      await Promise.all(running.map((p) => p.done));
    },
  };
}
