// `npm run bench`: builds the local server and the benchmark (test/bench, TypeScript) with
// esbuild, then runs the benchmark in a fresh node process.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allPackagesExternal, buildAll, buildLambdas, bundle } from './build.mjs';
import { measureColdInit, printColdInit } from './coldInit.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Two levels below the root, like test/support, so that paths relative to __dirname hold.
const outfile = join('test', 'bench-dist', 'bench.cjs');

await buildAll();
const sizes = await buildLambdas();
await bundle({ entry: join('test', 'bench', 'bench.ts'), outfile, external: allPackagesExternal(), format: 'cjs' });
const run = spawnSync(process.execPath, [join(root, outfile)], { stdio: 'inherit' });
process.exitCode = run.status ?? 1;
const coldInit = measureColdInit();
printColdInit(coldInit);

// Issue 18's Lambda targets, recorded beside the data plane's figures in bench-results.json.
const BUNDLE_TARGET_KIB = 500;
const INIT_TARGET_MS = 80;
const lambda = Object.fromEntries(
  coldInit.rows.map((row) => [row.name, { bundle_kib: Math.round((sizes.find((size) => size.name === row.name).bytes / 1024) * 10) / 10, init_ms: Math.round(row.load * 10) / 10 }]),
);
const resultsFile = join(root, 'bench-results.json');
const results = existsSync(resultsFile) ? JSON.parse(readFileSync(resultsFile, 'utf8')) : {};
writeFileSync(resultsFile, `${JSON.stringify({ ...results, lambda }, null, 2)}\n`);
const checks = Object.entries(lambda).flatMap(([name, { bundle_kib, init_ms }]) => [
  [`${name} bundle ${bundle_kib} KiB <= ${BUNDLE_TARGET_KIB} KiB`, bundle_kib <= BUNDLE_TARGET_KIB],
  [`${name} cold init (load + set-up) ${init_ms} ms <= ${INIT_TARGET_MS} ms`, init_ms <= INIT_TARGET_MS],
]);
console.log(['', 'lambda targets:', ...checks.map(([what, met]) => `  ${met ? 'PASS' : 'FAIL'}  ${what}`)].join('\n'));
if (checks.some(([, met]) => !met)) process.exitCode = 1;
