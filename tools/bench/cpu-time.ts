import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

interface ProcStat {
  ppid: number;
  /** utime + stime, and the same of its reaped children (cutime + cstime), in ticks. */
  own: number;
  reaped: number;
}

function procStat(pid: number): ProcStat | undefined {
  try {
    // Fields after the command name, which is in parentheses and may hold spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), own: Number(fields[11]) + Number(fields[12]), reaped: Number(fields[13]) + Number(fields[14]) };
  } catch {
    return undefined;
  }
}

/** User + system CPU milliseconds a process has used so far (Linux /proc), or NaN elsewhere. */
export function cpuMs(pid: number | undefined): number {
  const stat = pid ? procStat(pid) : undefined;
  return stat ? (stat.own * 1000) / TICKS_PER_SECOND : NaN;
}

/**
 * CPU milliseconds of a process and every descendant alive now, plus the children it has
 * already reaped: PostgreSQL's work is in one backend process per connection under the
 * postmaster, and a backend that exits is added to the postmaster's reaped time.
 */
export function treeCpuMs(root: number | undefined): number {
  const rootStat = root ? procStat(root) : undefined;
  if (!root || !rootStat) return NaN;
  const children = new Map<number, number[]>();
  const stats = new Map<number, ProcStat>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const stat = procStat(pid);
    if (!stat) continue;
    stats.set(pid, stat);
    children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), pid]);
  }
  let ticks = rootStat.reaped;
  const todo = [root];
  while (todo.length > 0) {
    const pid = todo.pop()!;
    ticks += stats.get(pid)?.own ?? (pid === root ? rootStat.own : 0);
    todo.push(...(children.get(pid) ?? []));
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}
