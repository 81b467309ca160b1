import cluster from 'node:cluster';
import { pino, type Logger } from 'pino';
import { stdoutLogOutput } from './log-output.js';
import { redactDeep } from './log-redaction.js';

export type { Logger };

/**
 * Workers share the primary's stdout. A write of at most PIPE_BUF (4096 bytes on Linux) to a pipe
 * is atomic, so writes up to that size, cut at line ends, never interleave two workers' lines.
 */
const ATOMIC_PIPE_WRITE = 4096;

/** Nest injection token for the logger (a value, not a class). */
export const LOGGER = Symbol('regauth.logger');
export const LOG_LEVELS = ['silent', 'error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Structured JSON logs. Redaction lives here, in the logger itself, so no call site can leak a
 * credential by logging a request or an error object carelessly (docs/security.md rule 22):
 * `Secret` values print as `***` on their own, and every line is walked by `redactDeep`, which
 * masks sensitive keys at any depth (a list of pino `redact` paths only catches the shapes it
 * names, and walking twice cost 3% of an anonymous pull's CPU).
 */
export function createLogger(level: LogLevel = 'info', destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      // In a cluster, which worker wrote the line (the primary's lines have no `worker`).
      base: { service: 'regauth', ...(cluster.isWorker ? { worker: cluster.worker!.id } : {}) },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        // Every line's fields, walked in full: the paths above only catch the shapes they name.
        log: (object) => redactDeep(object) as Record<string, unknown>,
      },
    },
    destination ?? stdoutLogOutput(process.stdout, cluster.isWorker ? { maxWrite: ATOMIC_PIPE_WRITE } : {}),
  );
}
