import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/observability/logger.js';

/**
 * Every log line a test's servers write is scanned here: a signed token (access or refresh), a
 * Basic credential, or a password a test used (registered by `basic()` and `registerSecret`) in
 * any line fails the test file (docs/security.md rule 22).
 */

const secrets = new Set<string>();
const leaks: string[] = [];

const SIGNED_TOKEN = /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/;
const BASIC = /Basic\s+([A-Za-z0-9+/]{4,}={0,2})/gi;

/** Words after "Basic" in prose ("Basic credentials are…") are not credentials: these decode to user:password. */
function basicCredentials(line: string): boolean {
  for (const [, encoded] of line.matchAll(BASIC)) {
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const printable = [...decoded].every((c) => c >= ' ' && c !== '\ufffd');
    if (decoded.includes(':') && printable) return true;
  }
  return false;
}

/** A value no log line may contain; short values are ignored (they occur in ordinary text). */
export function registerSecret(value: string): void {
  if (value.length >= 6) secrets.add(value);
}

export function scanLogLine(line: string): void {
  if (SIGNED_TOKEN.test(line)) leaks.push(`a signed token: ${line.slice(0, 300)}`);
  if (basicCredentials(line)) leaks.push(`Basic credentials: ${line.slice(0, 300)}`);
  for (const secret of secrets) if (line.includes(secret)) leaks.push(`a test password: ${line.slice(0, 300)}`);
}

/** A debug logger whose lines are scanned and, when `lines` is given, kept there. */
export function scannedLogger(lines?: string[]): Logger {
  return createLogger(
    'debug',
    new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
          scanLogLine(line);
          lines?.push(line);
        }
        done();
      },
    }),
  );
}

afterAll(() => {
  const found = leaks.splice(0);
  if (found.length > 0) throw new Error(`secrets in log lines:\n${found.join('\n')}`);
});
