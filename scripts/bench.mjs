// `npm run bench`: builds the local server and the benchmark (test/bench, TypeScript) with
// esbuild, then runs the benchmark in a fresh node process.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allPackagesExternal, buildAll, buildLambdas, bundle } from './build.mjs';
import { measureColdInit, printColdInit } from './coldInit.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Two levels below the root, like test/support, so that paths relative to __dirname hold.
const outfile = join('test', 'bench-dist', 'bench.cjs');

await buildAll();
await buildLambdas();
await bundle({ entry: join('test', 'bench', 'bench.ts'), outfile, external: allPackagesExternal(), format: 'cjs' });
const run = spawnSync(process.execPath, [join(root, outfile)], { stdio: 'inherit' });
process.exitCode = run.status ?? 1;
printColdInit(measureColdInit());
