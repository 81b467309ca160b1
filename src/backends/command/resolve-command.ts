import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { CommandError } from './command-error.js';

/**
 * Turns the configured `command` into an absolute path once, at load, so a missing or
 * non-executable script is a startup error rather than a 503 on the first login, and no request
 * ever searches PATH. A name with a slash is a path (relative to the config file's folder, like
 * every other path in the config); a bare name is looked up in PATH, as execvp would.
 */
export function resolveCommand(command: string, baseDir: string, path: string | undefined): string {
  if (command.includes('/')) return checkExecutable(isAbsolute(command) ? command : resolve(baseDir, command), command);
  for (const dir of (path ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    if (isExecutableFile(candidate)) return candidate;
  }
  throw new CommandError('not_found', command, 'not found in PATH');
}

function checkExecutable(file: string, shown: string): string {
  let stat;
  try {
    stat = statSync(file);
  } catch {
    throw new CommandError('not_found', shown, `not found (${file})`);
  }
  if (!stat.isFile()) throw new CommandError('not_executable', shown, `not a regular file (${file})`);
  if (!isExecutableFile(file)) throw new CommandError('not_executable', shown, `not executable (${file}); chmod +x it`);
  return file;
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
