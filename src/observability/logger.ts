import { pino, type Logger } from 'pino';
import { stdoutLogOutput } from './log-output.js';
import { redactDeep } from './log-redaction.js';

export type { Logger };

/** Nest injection token for the logger (a value, not a class). */
export const LOGGER = Symbol('regauth.logger');
export const LOG_LEVELS = ['silent', 'error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Structured JSON logs. Redaction lives here, in the logger itself, so no call site can leak a
 * credential by logging a request or an error object carelessly (docs/security.md rule 22). `Secret`
 * values print as `***` on their own; these paths catch raw strings.
 */
const REDACT = [
  'password',
  '*.password',
  'refresh_token',
  '*.refresh_token',
  'token',
  '*.token',
  'access_token',
  '*.access_token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'req.headers.authorization',
  'secret',
  '*.secret',
];

export function createLogger(level: LogLevel = 'info', destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'regauth' },
      redact: { paths: REDACT, censor: '***' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        // Every line's fields, walked in full: the paths above only catch the shapes they name.
        log: (object) => redactDeep(object) as Record<string, unknown>,
      },
    },
    destination ?? stdoutLogOutput(),
  );
}
