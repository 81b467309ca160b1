import { randomBytes } from 'node:crypto';
import { lstatSync, statSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * The start-up warning for a file holding a secret (private key, refresh secret, bind password)
 * that group or others may read, or undefined when it is private. Ownership and permissions are
 * the operator's to fix, so this warns rather than refuses: a container whose secrets are mounted
 * 0644 by its platform must still start (docs/security.md rule 21). A missing file is reported
 * by whoever reads it, not here. Windows has no such mode bits.
 */
export function looseSecretFileWarning(file: string, label: string): string | undefined {
  if (process.platform === 'win32') return undefined;
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch {
    return undefined;
  }
  if ((mode & 0o077) === 0) return undefined;
  const readers = [mode & 0o070 ? 'its group' : '', mode & 0o007 ? 'everyone' : ''].filter(Boolean).join(' and ');
  return `${label} can be accessed by ${readers} (mode ${(mode & 0o777).toString(8).padStart(4, '0')}): it holds a secret, chmod 600 it`;
}

/** Whether anything is at the path, a dangling symbolic link included. */
export function pathTaken(file: string): boolean {
  try {
    lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes a new file with exactly `mode` and renames it over `file`. Overwriting in place would
 * keep an old file's looser mode, and would follow a symbolic link planted at the path and write
 * the key wherever it points; the rename replaces the link itself and never the link's target.
 */
export async function replaceFile(file: string, data: string, mode: number): Promise<void> {
  const temp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temp, data, { mode, flag: 'wx' });
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}
