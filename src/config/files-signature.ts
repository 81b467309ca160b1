import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

/**
 * One digest over the contents of a set of files (a missing file counts as such). Contents, not
 * modification times: a file replaced by rename, a ConfigMap's symlink swap or `touch` without a
 * change all come out right, and an editor's rewrite of identical bytes reloads nothing.
 */
export async function filesSignature(files: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const file of [...new Set(files)].sort()) {
    const content = await readFile(file).catch(() => null);
    hash.update(file).update('\0');
    hash.update(content === null ? 'missing' : createHash('sha256').update(content).digest('hex')).update('\n');
  }
  return hash.digest('hex');
}
