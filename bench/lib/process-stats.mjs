// CPU time and peak memory of a process tree, from /proc (Linux).
import { readdirSync, readFileSync } from 'node:fs';

const TICKS = 100; // USER_HZ on Linux

function children(pid) {
  const out = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** The process and its descendants. */
export function tree(pid) {
  const all = [pid];
  for (let i = 0; i < all.length; i++) all.push(...children(all[i]));
  return all;
}

/** CPU milliseconds (user + system) used so far by the tree. */
export function cpuMs(pid) {
  let ticks = 0;
  for (const p of tree(pid)) {
    try {
      const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return (ticks * 1000) / TICKS;
}

/**
 * Peak resident memory (VmHWM) in MiB: summed over the server's processes; the largest worker
 * (a direct child of the server process, or the server itself when it has none: workers 1); and
 * the cluster primary (the server process, when it has workers), which serves no request.
 */
export function peakRss(pid) {
  const hwm = (p) => {
    try {
      return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0) / 1024;
    } catch {
      return 0; // gone
    }
  };
  const workers = children(pid);
  const total = tree(pid).reduce((sum, p) => sum + hwm(p), 0);
  if (workers.length === 0) return { peakRssMiB: total, largestWorkerMiB: hwm(pid), primaryMiB: null };
  return { peakRssMiB: total, largestWorkerMiB: Math.max(...workers.map(hwm)), primaryMiB: hwm(pid) };
}

/** CPU ms used by every process on the machine (for "was the run disturbed?"). */
export function machineCpuMs() {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
  return ((user + nice + system + irq + softirq + steal) * 1000) / TICKS;
}
