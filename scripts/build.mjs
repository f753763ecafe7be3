// Builds every app and lib into dist/ (see compile.mjs), then the web console into dist/console
// (Vite; its own tsconfig, type-checked first: Vite's transform strips types without checking them).
import { execFileSync } from 'node:child_process';
import { build } from 'vite';
import { compile } from './compile.mjs';

compile('tsconfig.build.json', 'dist');
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'apps/console/tsconfig.json'], { stdio: 'inherit' });
await build({ configFile: 'apps/console/vite.config.mjs' });
console.log('built dist/apps/{gateway,registry,router,cpu-worker,gpu-worker}/src/main.js, the falaj CLI (dist/apps/cli/src/main.js) and the console (dist/console)');
