import type { Secret } from '../../common/secret.js';
import type { ProcessResult } from './process-runner.js';

/** "exit 3" or "killed by SIGSEGV", for the log line of a failed run. */
export function describeExit(result: ProcessResult): string {
  return result.exitCode !== null ? `exit ${result.exitCode}` : `killed by ${result.signal ?? 'unknown signal'}`;
}

/**
 * The start of the command's stderr for the log, with the password cut out: a script that
 * echoes its input when it fails must not put the password into our logs.
 */
export function maskedStderr(stderr: string, password?: Secret): string {
  let text = stderr.trim();
  if (text === '') return '';
  const secret = password?.reveal();
  if (secret) {
    text = text.split(secret).join('***');
    // stderr is captured up to a cap, which may cut through an echoed password: mask a
    // trailing piece that starts the password too.
    for (let n = Math.min(secret.length - 1, text.length); n > 0; n--) {
      if (text.endsWith(secret.slice(0, n))) {
        text = `${text.slice(0, -n)}***`;
        break;
      }
    }
  }
  return `; stderr: ${JSON.stringify(text.slice(0, 512))}`;
}
