import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The repository's root, from wherever this file runs (source under Jest, or compiled into dist-bench/). */
export function repoRoot(from: string = __dirname): string {
  let dir = from;
  while (!existsSync(join(dir, 'scripts/infra.sh'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no repository root above ${from}`);
    dir = parent;
  }
  return dir;
}
