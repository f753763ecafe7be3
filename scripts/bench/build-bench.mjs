// Compiles the benchmark (libs/testing/src/bench, which the apps' build leaves out) into
// dist-bench/, with the @falaj/* aliases rewritten, as scripts/build.mjs does for the apps.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';

const run = (bin, args) => execFileSync(process.execPath, [bin, ...args], { stdio: 'inherit' });
rmSync('dist-bench', { recursive: true, force: true });
run('node_modules/typescript/bin/tsc', ['-p', 'tsconfig.bench.json']);
run('node_modules/tsc-alias/dist/bin/index.js', ['-p', 'tsconfig.bench.json']);
