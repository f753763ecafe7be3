// Compiles the benchmark, soak and chaos programs (tools/, which the apps' build leaves out) into
// dist-bench/, as scripts/build.mjs does for the apps.
import { compile } from '../compile.mjs';

compile('tsconfig.bench.json', 'dist-bench');
