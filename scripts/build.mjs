// Builds every app and lib in one TypeScript program (one pass is much faster than five), then
// rewrites the `@falaj/*` path aliases in the output into relative requires.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';

const run = (bin, args) => execFileSync(process.execPath, [bin, ...args], { stdio: 'inherit' });
rmSync('dist', { recursive: true, force: true });
run('node_modules/typescript/bin/tsc', ['-p', 'tsconfig.build.json']);
run('node_modules/tsc-alias/dist/bin/index.js', ['-p', 'tsconfig.build.json']);
// Non-TypeScript assets a lib loads at run time (the gRPC .proto files) go beside its output.
for (const lib of readdirSync('libs')) {
  if (existsSync(`libs/${lib}/proto`)) cpSync(`libs/${lib}/proto`, `dist/libs/${lib}/proto`, { recursive: true });
}
console.log('built dist/apps/{gateway,registry,router,cpu-worker,gpu-worker}/src/main.js');
