import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Folder of the test scripts, for `command:` in test configs. */
export const SCRIPTS_DIR = fileURLToPath(new URL('.', import.meta.url));
export const script = (name: string): string => join(SCRIPTS_DIR, name);

export interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  readonly pgrp: number;
  readonly session: number;
  readonly state: string;
  /** argv joined with spaces, for failure messages. */
  readonly cmdline: string;
}

const readProc = (pid: number, file: string): string | undefined => {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined; // exited while we looked, or not ours to read
  }
};

/** Every process on the machine, from /proc (Linux), zombies excluded: they no longer run. */
export function livingProcesses(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const stat = readProc(pid, 'stat');
    if (stat === undefined) continue;
    // "pid (comm) state ppid pgrp session ..."; comm may contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = fields[0];
    if (state === 'Z' || state === 'X') continue;
    const cmdline = (readProc(pid, 'cmdline') ?? '').split('\0').join(' ').trim();
    out.push({ pid, state, ppid: Number(fields[1]), pgrp: Number(fields[2]), session: Number(fields[3]), cmdline });
  }
  return out;
}

/** The environment a process was started with (NAME=value entries), empty when unreadable. */
export function environmentOf(pid: number): string[] {
  return (readProc(pid, 'environ') ?? '').split('\0').filter(Boolean);
}

/**
 * Finds every process a test's commands started, so a test fails when one outlives its request.
 *
 * `track()` marks the environment every command inherits: PIDS_DIR names `dir` (unique to this
 * recorder), and `dir` is appended to PATH, which every command gets whatever its `env:` list
 * says. Descendants inherit the mark whatever happens to their parent: a grandchild whose parent
 * exited (re-parented to init) keeps it, and so does one that left the process group with setsid.
 * A process is a leftover when it carries the mark, when its parent chain leads to the test
 * process, or when it runs under a pid, process group or session that a script recorded in `dir`.
 */
export class PidRecorder {
  readonly dir = mkdtempSync(join(tmpdir(), 'regauth-pids-'));
  #savedPath: string | undefined;

  /** Marks the environment of every command started from now on (call in beforeAll). */
  track(): void {
    this.#savedPath = process.env.PATH;
    process.env.PIDS_DIR = this.dir;
    process.env.PATH = `${process.env.PATH ?? ''}:${this.dir}`;
  }

  /** Whether a process was started with this recorder's mark in its environment. */
  isMarked(pid: number): boolean {
    return environmentOf(pid).some((entry) => entry === `PIDS_DIR=${this.dir}` || (entry.startsWith('PATH=') && entry.slice(5).split(':').includes(this.dir)));
  }

  recorded(): number[] {
    return readdirSync(this.dir).map((f) => Number(readFileSync(join(this.dir, f), 'utf8').trim()));
  }

  leftovers(): ProcStat[] {
    const recorded = new Set(this.recorded());
    const all = livingProcesses().filter((p) => p.pid !== process.pid);
    const byPid = new Map(all.map((p) => [p.pid, p]));
    const descendsFromUs = (p: ProcStat): boolean => {
      for (let at: ProcStat | undefined = p, hops = 0; at && hops < 64; at = byPid.get(at.ppid), hops++) {
        if (at.ppid === process.pid) return true;
      }
      return false;
    };
    return all.filter((p) => recorded.has(p.pid) || recorded.has(p.pgrp) || recorded.has(p.session) || descendsFromUs(p) || this.isMarked(p.pid));
  }

  /** Waits up to `ms` for every process of the test's commands to be gone; returns what is still running. */
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

  /** Undoes `track()` and deletes `dir` (call in afterAll). */
  remove(): void {
    if (process.env.PIDS_DIR === this.dir) {
      delete process.env.PIDS_DIR;
      if (this.#savedPath === undefined) delete process.env.PATH;
      else process.env.PATH = this.#savedPath;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
