import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What the soak samples of one app process from outside it (/proc, `ss`) and from its probe file. */
export interface ProcessSample {
  rssBytes: number;
  fds: number;
  /** Established TCP connections of the process, by the port it connects to. */
  connections: Record<string, number>;
  heapUsed?: number;
  handles?: number;
}

/** The backbone ports whose client connections are counted per process. */
export interface BackbonePorts {
  redis: number;
  kafka: number;
  postgres: number;
}

export function sampleProcess(pid: number, ports: BackbonePorts, established: Map<number, Record<string, number>>, probeDir: string): ProcessSample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? NaN);
  const probe = lastProbe(join(probeDir, `${pid}.jsonl`));
  return {
    rssBytes: rssKb * 1024,
    fds: readdirSync(`/proc/${pid}/fd`).length,
    connections: established.get(pid) ?? Object.fromEntries(Object.keys(ports).map((name) => [name, 0])),
    ...(probe ? { heapUsed: probe.heapUsed, handles: probe.handles } : {}),
  };
}

/** Every process's established TCP connections to the backbone ports, from one `ss -tnp` call. */
export function establishedByPid(ports: BackbonePorts): Map<number, Record<string, number>> {
  const byPort = new Map(Object.entries(ports).map(([name, port]) => [String(port), name]));
  const out = execFileSync('ss', ['-Htnp', 'state', 'established'], { encoding: 'utf8' });
  const found = new Map<number, Record<string, number>>();
  for (const line of out.split('\n')) {
    // Recv-Q Send-Q Local:Port Peer:Port users:(("node",pid=123,fd=45))
    const columns = line.trim().split(/\s+/);
    const peerPort = columns[3]?.split(':').pop();
    const name = peerPort ? byPort.get(peerPort) : undefined;
    if (!name) continue;
    for (const match of line.matchAll(/pid=(\d+)/g)) {
      const pid = Number(match[1]);
      const counts = found.get(pid) ?? Object.fromEntries(Object.keys(ports).map((n) => [n, 0]));
      counts[name]++;
      found.set(pid, counts);
    }
  }
  return found;
}

function lastProbe(file: string): { heapUsed: number; handles: number } | undefined {
  if (!existsSync(file)) return undefined;
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  try {
    return JSON.parse(lines[lines.length - 1]) as { heapUsed: number; handles: number };
  } catch {
    return undefined;
  }
}
