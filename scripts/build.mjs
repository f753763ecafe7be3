// Builds every app and lib into dist/ (see compile.mjs).
import { compile } from './compile.mjs';

compile('tsconfig.build.json', 'dist');
console.log('built dist/apps/{gateway,registry,router,cpu-worker,gpu-worker}/src/main.js and the falaj CLI, dist/apps/cli/src/main.js');
