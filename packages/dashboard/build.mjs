// Builds the dashboard with Vite into packages/dashboard/dist: index.html and hashed assets,
// no inline script or style (the Content-Security-Policy allows only 'self'). Prints the
// gzipped size of its JavaScript.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';

export const DASHBOARD_ROOT = dirname(fileURLToPath(import.meta.url));
export const DASHBOARD_DIST = join(DASHBOARD_ROOT, 'dist');

export async function buildDashboard({ quiet = false } = {}) {
  // A production build whatever NODE_ENV the caller has (jest sets it to "test", which would make Vite keep development code).
  process.env.NODE_ENV = 'production';
  await build({
    mode: 'production',
    root: DASHBOARD_ROOT,
    configFile: false,
    logLevel: 'warn',
    base: '/',
    oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
    build: { outDir: DASHBOARD_DIST, emptyOutDir: true, target: 'es2022', sourcemap: false, reportCompressedSize: false, assetsInlineLimit: 0 },
  });
  const assets = join(DASHBOARD_DIST, 'assets');
  const scripts = readdirSync(assets).filter((name) => name.endsWith('.js'));
  const bytes = scripts.reduce((sum, name) => sum + readFileSync(join(assets, name)).length, 0);
  const gzipped = scripts.reduce((sum, name) => sum + gzipSync(readFileSync(join(assets, name))).length, 0);
  if (!quiet) console.log(`Dashboard: ${(bytes / 1024).toFixed(0)} KiB of JavaScript, ${(gzipped / 1024).toFixed(1)} KiB gzipped (packages/dashboard/dist)`);
  return { bytes, gzipped };
}
