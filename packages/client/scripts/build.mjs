// Builds @keyledger/client for publishing: an ESM and a CommonJS bundle of each entry point
// (esbuild; node:crypto and the optional @aws-crypto/client-node stay external) and their type
// declarations (tsc --emitDeclarationOnly). Run by the root `npm run build` and by `npm pack`.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const ENTRIES = [
  { in: 'src/index.ts', out: 'index' },
  { in: 'src/encryptionSdk.ts', out: 'encryption-sdk' },
];

rmSync(join(here, 'dist'), { recursive: true, force: true });
await Promise.all(
  ENTRIES.flatMap((entry) =>
    [
      { format: 'esm', extension: 'mjs' },
      { format: 'cjs', extension: 'cjs' },
    ].map(({ format, extension }) =>
      build({
        entryPoints: [join(here, entry.in)],
        outfile: join(here, 'dist', `${entry.out}.${extension}`),
        bundle: true,
        platform: 'node',
        target: 'node20',
        format,
        external: ['@aws-crypto/client-node'],
        sourcemap: true,
        logLevel: 'warning',
      }),
    ),
  ),
);
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(here, 'tsconfig.build.json')], { stdio: 'inherit' });
