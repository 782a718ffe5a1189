// Builds the dashboard (Vite, packages/dashboard/build.mjs) and bundles the runnable entry points with esbuild: the local server and the CLI (dependencies
// stay external, loaded from node_modules; fast enough to run on every `npm start`), and the
// Lambda functions as the CDK app bundles them (infra/functions.json), printing their sizes; and
// the publishable client SDK (packages/client/scripts/build.mjs: ESM, CJS and types).
import { execFile } from 'node:child_process';
import { build } from 'esbuild';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Third-party dependencies load from node_modules; keyledger's own workspaces (TypeScript) are bundled.
const dependencies = Object.keys(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).dependencies ?? {});
const external = dependencies.flatMap((name) => [name, `${name}/*`]);

export const ENTRIES = [
  { in: 'packages/local/src/main.ts', out: 'packages/local/dist/server.mjs' },
  { in: 'packages/cli/src/main.ts', out: 'packages/cli/dist/keyledger.mjs' },
];

/**
 * One esbuild bundle for Node 22, the Lambda runtime;
 * `external` packages load from node_modules.
 */
export function bundle({ entry, outfile, external: externals = external, format = 'esm', sourcemap = false, target = 'node22', minify = false, mainFields, alias }) {
  return build({
    entryPoints: [join(root, entry)],
    outfile: join(root, outfile),
    bundle: true,
    platform: 'node',
    target,
    format,
    mainFields,
    minify,
    external: externals,
    ...(alias ? { alias } : {}),
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

export const LAMBDAS = JSON.parse(readFileSync(join(root, 'infra', 'functions.json'), 'utf8'));
const lambdaOutfile = (name) => join('dist', 'lambda', name, 'index.js');
export const lambdaBundlePath = (name) => join(root, lambdaOutfile(name));

/**
 * Every Lambda function bundled with the settings NodejsFunction uses in the CDK app (AWS SDK
 * included, so the code runs with the SDK versions it was tested with). Prints each size and
 * fails when one is over the budget.
 */
export async function buildLambdas({ quiet = false } = {}) {
  const { bundling, functions } = LAMBDAS;
  const sizes = await Promise.all(
    Object.entries(functions).map(async ([name, { entry }]) => {
      await bundle({
        entry,
        outfile: lambdaOutfile(name),
        target: bundling.target,
        format: bundling.format,
        mainFields: bundling.mainFields,
        minify: bundling.minify,
        sourcemap: bundling.sourcemap,
        external: bundling.external,
        alias: Object.fromEntries(Object.entries(bundling.alias ?? {}).map(([from, to]) => [from, join(root, to)])),
      });
      return { name, bytes: statSync(lambdaBundlePath(name)).size };
    }),
  );
  if (!quiet) {
    console.log('Lambda bundles (minified, AWS SDK included):');
    for (const { name, bytes } of sizes) console.log(`  ${name.padEnd(20)} ${(bytes / 1024).toFixed(0).padStart(5)} KiB`);
  }
  const over = sizes.filter(({ bytes }) => bytes > bundling.maxBytes);
  if (over.length) {
    throw new Error(`Lambda bundles over ${bundling.maxBytes} bytes: ${over.map(({ name, bytes }) => `${name} (${bytes})`).join(', ')}.`);
  }
  return sizes;
}

/** @keyledger/client's dist/ (its own script, as `npm pack` runs it). */
export async function buildClient() {
  await promisify(execFile)(process.execPath, [join(root, 'packages', 'client', 'scripts', 'build.mjs')]);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { buildDashboard } = await import('@keyledger/dashboard/build');
  await Promise.all([buildAll(), buildDashboard(), ...(process.argv.includes('--local') ? [] : [buildClient()])]);
  if (!process.argv.includes('--local')) await buildLambdas();
}
