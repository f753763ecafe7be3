import { appendFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Preloaded into every app of a soak (`node --require …/memory-probe.js`): every
 * FALAJ_SOAK_PROBE_MS it appends the process's own heap figures to
 * `<FALAJ_SOAK_PROBE_DIR>/<pid>.jsonl`, which only the process itself can read (RSS and file
 * descriptors are read from /proc by the soak). Nothing of the apps' code knows of it.
 */
const dir = process.env.FALAJ_SOAK_PROBE_DIR;
if (dir) {
  const file = join(dir, `${process.pid}.jsonl`);
  const every = Number(process.env.FALAJ_SOAK_PROBE_MS ?? 5000);
  const timer = setInterval(() => {
    const { heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
    const handles = (process as unknown as { _getActiveHandles?: () => unknown[] })._getActiveHandles?.().length ?? -1;
    appendFileSync(file, `${JSON.stringify({ at: Date.now(), heapUsed, heapTotal, external, arrayBuffers, handles })}\n`);
  }, every);
  timer.unref();
}
