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

export async function buildAll() {
  await Promise.all(
    ENTRIES.map((entry) =>
      build({
        entryPoints: [join(root, entry.in)],
        outfile: join(root, entry.out),
        bundle: true,
        platform: 'node',
        target: 'node20',
        format: 'esm',
        external,
        sourcemap: true,
        logLevel: 'warning',
      }),
    ),
  );
}

/** The CDK app, built on demand by cdk.json (aws-cdk-lib is a dev dependency, so it stays external too). */
export async function buildCdkApp() {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const all = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})];
  const outfile = join(root, 'infra', 'dist', 'app.mjs');
  await build({
    entryPoints: [join(root, 'infra', 'src', 'app.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    external: all.flatMap((name) => [name, `${name}/*`]),
    logLevel: 'warning',
  });
  return outfile;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildAll();
}
