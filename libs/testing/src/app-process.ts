import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { eventually } from './eventually';
import { repoRoot } from './repo-root';

export type AppName = 'gateway' | 'registry' | 'router' | 'cpu-worker' | 'gpu-worker';

/** One app started from the build output (`npm run build`), as `npm start` runs it. */
export class AppProcess {
  private child?: ChildProcess;
  private exited?: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly name: string,
    private readonly app: AppName,
    readonly env: NodeJS.ProcessEnv,
    private readonly logDir: string,
    readonly healthUrl: string,
    /** Node flags before the script, e.g. `--cpu-prof` (not allowed in NODE_OPTIONS). */
    private readonly nodeArgs: string[] = [],
  ) {}

  /** The process id while it runs (to read its CPU time). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Its resident set size now, in bytes (VmRSS of /proc/<pid>/status; Linux only). */
  rssBytes(): number {
    if (this.child?.pid === undefined) throw new Error(`${this.name} is not running`);
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${this.child.pid}/status`, 'utf8'))?.[1];
    if (kb === undefined) throw new Error(`no VmRSS for ${this.name}`);
    return Number(kb) * 1024;
  }

  start(): void {
    const main = resolve(repoRoot(), 'dist/apps', this.app, 'src/main.js');
    mkdirSync(this.logDir, { recursive: true });
    const log = createWriteStream(join(this.logDir, `${this.name}.log`), { flags: 'a' });
    this.child = spawn(process.execPath, [...this.nodeArgs, main], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    // Both streams feed one file: neither may end it while the other still writes.
    this.child.stdout?.pipe(log, { end: false });
    this.child.stderr?.pipe(log, { end: false });
    this.child.once('close', () => log.end());
    this.exited = new Promise((done) => this.child?.once('exit', (code, signal) => done({ code, signal })));
  }

  async waitHealthy(timeoutMs = 60_000): Promise<void> {
    // An app that exits will never be healthy: say so at once, with the end of its log (CI keeps
    // only what the test prints, not the log files).
    let stopWaiting = false;
    const died = this.exited?.then(async (exit) => {
      if (stopWaiting) return;
      await new Promise((resolve) => setTimeout(resolve, 300)); // the log's last writes
      if (stopWaiting) return;
      throw new Error(`${this.name} exited with ${exit.code ?? exit.signal} while starting; the end of its log:\n${this.logTail()}`);
    });
    try {
      await Promise.race([
        eventually(
          `${this.name} at ${this.healthUrl}`,
          async () => {
            const response = await fetch(this.healthUrl).catch(() => null);
            return response?.ok ? true : undefined;
          },
          timeoutMs,
          200,
        ),
        ...(died ? [died] : []),
      ]);
    } finally {
      stopWaiting = true;
    }
  }

  /** The last lines of the app's log. */
  logTail(lines = 40): string {
    const file = join(this.logDir, `${this.name}.log`);
    if (!existsSync(file)) return '(no log)';

    return readFileSync(file, 'utf8')
      .replace(/\x1b\[[0-9;]*m/g, '')
      .split('\n')
      .slice(-lines)
      .join('\n');
  }

  /** SIGKILL: a crash, with no chance to drain or commit anything. */
  async kill(): Promise<void> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, as Ctrl-C would; SIGKILL if it has not stopped in time. Says whether it had to kill. */
  async stop(timeoutMs = 15_000): Promise<{ graceful: boolean }> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return { graceful: true };
    let killed = false;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      killed = true;
      this.child?.kill('SIGKILL');
    }, timeoutMs);
    await this.exited;
    clearTimeout(timer);
    return { graceful: !killed };
  }
}
