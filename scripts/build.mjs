// Bundles the runnable entry points with esbuild (dependencies stay external, loaded from
// node_modules): the local server and the CLI. Fast enough to run on every `npm start`.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Third-party dependencies load from node_modules; keyledger's own workspaces (TypeScript) are bundled.
const dependencies = Object.keys(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).dependencies ?? {});
const external = dependencies.flatMap((name) => [name, `${name}/*`]);

export const ENTRIES = [
  { in: 'packages/local/src/main.ts', out: 'packages/local/dist/server.mjs' },
  { in: 'packages/cli/src/main.ts', out: 'packages/cli/dist/keyledger.mjs' },
];

/** One esbuild bundle for Node 20 (what Lambda's nodejs22.x also runs); `external` packages load from node_modules. */
export function bundle({ entry, outfile, external: externals = external, format = 'esm', sourcemap = false }) {
  return build({
    entryPoints: [join(root, entry)],
    outfile: join(root, outfile),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format,
    external: externals,
    sourcemap,
    logLevel: 'warning',
  });
}

/** Every package in package.json, dev dependencies included, kept external. */
export function allPackagesExternal() {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  return [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})].flatMap((name) => [name, `${name}/*`]);
}

export async function buildAll() {
  await Promise.all(ENTRIES.map((entry) => bundle({ entry: entry.in, outfile: entry.out, sourcemap: true })));
}

/** The CDK app, built on demand by cdk.json (aws-cdk-lib is a dev dependency, so it stays external too). */
export async function buildCdkApp() {
  const outfile = join('infra', 'dist', 'app.mjs');
  await bundle({ entry: join('infra', 'src', 'app.ts'), outfile, external: allPackagesExternal() });
  return join(root, outfile);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildAll();
}
