import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Folder of the test scripts, for `command:` in test configs. */
export const SCRIPTS_DIR = fileURLToPath(new URL('.', import.meta.url));
export const script = (name: string): string => join(SCRIPTS_DIR, name);

interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  readonly pgrp: number;
  readonly state: string;
}

/** Every process on the machine, from /proc (Linux), zombies excluded: they no longer run. */
export function livingProcesses(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // "pid (comm) state ppid pgrp ..."; comm may contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = fields[0]!;
    if (state === 'Z' || state === 'X') continue;
    out.push({ pid: Number(entry), state, ppid: Number(fields[1]), pgrp: Number(fields[2]) });
  }
  return out;
}

/**
 * Scripts started with PIDS_DIR set write their pid (and their children's) there. A test's
 * commands are gone when no process runs with one of those pids, in one of those process groups
 * (every command leads its own group), or as a direct child of the test process.
 */
export class PidRecorder {
  readonly dir = mkdtempSync(join(tmpdir(), 'regauth-pids-'));

  recorded(): number[] {
    return readdirSync(this.dir).map((f) => Number(readFileSync(join(this.dir, f), 'utf8').trim()));
  }

  leftovers(): ProcStat[] {
    const pids = new Set(this.recorded());
    return livingProcesses().filter((p) => pids.has(p.pid) || pids.has(p.pgrp) || p.ppid === process.pid);
  }

  /** Waits up to `ms` for every recorded process to be gone; returns what is still running. */
  async waitUntilGone(ms = 3000): Promise<ProcStat[]> {
    const until = Date.now() + ms;
    let left = this.leftovers();
    while (left.length > 0 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
      left = this.leftovers();
    }
    return left;
  }

  reset(): void {
    for (const f of readdirSync(this.dir)) rmSync(join(this.dir, f), { force: true });
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
