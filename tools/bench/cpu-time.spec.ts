import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpuMs, treeCpuMs } from './cpu-time';

// A child that spends 300 ms of CPU (not of wall time: the machine may be busy), says so, and
// then stays alive, idle, until it is killed.
const SPIN_THEN_IDLE = `
  const start = process.cpuUsage();
  while ((process.cpuUsage(start).user + process.cpuUsage(start).system) / 1000 < 300);
  process.stdout.write('spun');
  setTimeout(() => {}, 60000);
`;

/** CPU of this process's descendants (live and reaped) since `from`, without this process's own. */
const descendantsSince = (from: { tree: number; own: number }) => treeCpuMs(process.pid) - from.tree - (cpuMs(process.pid) - from.own);

describe('CPU time from /proc', () => {
  it("counts a process's own time", () => {
    const before = cpuMs(process.pid);
    const start = process.cpuUsage();
    while (process.cpuUsage(start).user / 1000 < 200);
    expect(cpuMs(process.pid) - before).toBeGreaterThanOrEqual(180);
  });

  it('counts a live child and, once it has exited and been reaped, still counts it (a Postgres backend that exits)', async () => {
    const from = { tree: treeCpuMs(process.pid), own: cpuMs(process.pid) };
    const child = spawn(process.execPath, ['-e', SPIN_THEN_IDLE]);
    await once(child.stdout, 'data');
    // USER_HZ ticks: 10 ms granularity.
    expect(descendantsSince(from)).toBeGreaterThanOrEqual(280);
    child.kill();
    await once(child, 'exit');
    expect(descendantsSince(from)).toBeGreaterThanOrEqual(280);
  });

  it('is NaN for a process that does not exist', () => {
    expect(cpuMs(undefined)).toBeNaN();
    expect(treeCpuMs(2 ** 22 + 1)).toBeNaN();
  });
});
