// Writes docs/events/*.schema.json from the zod schemas in packages/events (`npm run docs:events`).
// A unit test fails when the committed files differ from what this would write.
import { build } from 'esbuild';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = await mkdtemp(join(tmpdir(), 'keyledger-docs-'));
try {
  const outfile = join(dir, 'eventDocs.mjs');
  await build({
    entryPoints: [join(root, 'packages/events/src/eventDocs.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile,
    logLevel: 'warning',
  });
  const { generatedEventDocs } = await import(pathToFileURL(outfile).href);
  for (const [name, content] of Object.entries(generatedEventDocs())) {
    await writeFile(join(root, 'docs/events', name), content);
    process.stdout.write(`docs/events/${name}\n`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
