import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A stand-in for the dashboard's Vite build (packages/dashboard/dist), for tests that synthesize
 * the web-content stack without building the dashboard: index.html and two hashed assets.
 */
export function fakeDashboardDist(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keyledger-dashboard-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html>\n<html lang="en">\n  <head>\n    <meta charset="utf-8" />\n    <script type="module" src="/assets/index-Bx1.js"></script>\n    <link rel="stylesheet" href="/assets/index-Cy2.css">\n  </head>\n  <body><div id="app"></div></body>\n</html>\n');
  writeFileSync(join(dir, 'assets', 'index-Bx1.js'), 'console.log("dashboard");\n');
  writeFileSync(join(dir, 'assets', 'index-Cy2.css'), 'body { margin: 0; }\n');
  return dir;
}
