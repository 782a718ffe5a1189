#!/usr/bin/env node
// Runs the bundled CLI, building it first on a checkout where `npm run build` has not run yet.
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/keyledger.mjs', import.meta.url);
if (!existsSync(bundle)) {
  const { buildAll } = await import(new URL('../../../scripts/build.mjs', import.meta.url).href);
  await buildAll();
}
await import(bundle.href);
