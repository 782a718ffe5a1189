// `npm run bench`: builds the local server and the benchmark (test/bench, TypeScript) with
// esbuild, then runs the benchmark in a fresh node process.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { buildAll } from './build.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const external = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})].flatMap((name) => [name, `${name}/*`]);
// Two levels below the root, like test/support, so that paths relative to __dirname hold.
const outfile = join(root, 'test', 'bench-dist', 'bench.cjs');

await buildAll();
await build({
  entryPoints: [join(root, 'test', 'bench', 'bench.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external,
  logLevel: 'warning',
});
const run = spawnSync(process.execPath, [outfile], {
  stdio: 'inherit',
  env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
});
process.exitCode = run.status ?? 1;
