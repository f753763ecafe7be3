// One TypeScript program into `outDir` (one pass is much faster than one per app), with the
// `@falaj/*` path aliases rewritten into relative requires and the libs' run-time assets (the
// gRPC .proto files) copied beside their output. Used by build.mjs and bench/build-bench.mjs.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';

export function compile(tsconfig, outDir) {
  const run = (bin, args) => execFileSync(process.execPath, [bin, ...args], { stdio: 'inherit' });
  rmSync(outDir, { recursive: true, force: true });
  run('node_modules/typescript/bin/tsc', ['-p', tsconfig]);
  run('node_modules/tsc-alias/dist/bin/index.js', ['-p', tsconfig]);
  for (const lib of readdirSync('libs')) {
    if (existsSync(`libs/${lib}/proto`)) cpSync(`libs/${lib}/proto`, `${outDir}/libs/${lib}/proto`, { recursive: true });
  }
}
