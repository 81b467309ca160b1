import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PidRecorder } from './scripts/leftover-processes.js';

/**
 * A work folder for tests that run real commands, and the check after every test that none of
 * the processes they started is still running (docs/security.md rule 17).
 */

/** A command config as the tests write it, passing on what the process checks and the stdin recorder need. */
export const commandConfig = (config: Record<string, unknown>): Record<string, unknown> => ({ type: 'command', env: ['PIDS_DIR', 'RECORD_FILE'], ...config });

export interface CommandWork {
  readonly pids: PidRecorder;
  /** Temporary folder, the commands' config folder; removed after the file's tests. */
  readonly dir: string;
}

export function useCommandWork(prefix: string): CommandWork {
  const pids = new PidRecorder();
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    pids.track();
  });
  afterAll(() => {
    delete process.env.RECORD_FILE;
    pids.remove();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    delete process.env.RECORD_FILE;
    expect(await pids.waitUntilGone()).toEqual([]);
    pids.reset();
  });

  return {
    pids,
    get dir() {
      return dir;
    },
  };
}
