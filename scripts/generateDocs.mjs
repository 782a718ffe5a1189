// Writes the generated docs (`npm run docs`): docs/events/*.schema.json from the zod schemas in
// packages/events, docs/errors.md from packages/http's errorCode registry, and docs/openapi.json
// from the route table and the services' contracts. Unit tests fail
// when the committed files differ from what this would write.
import { build } from 'esbuild';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Bundles one TypeScript module and imports it. */
async function load(dir, entry) {
  const outfile = join(dir, `${entry.replace(/\W/g, '_')}.mjs`);
  await build({ entryPoints: [join(root, entry)], bundle: true, platform: 'node', format: 'esm', outfile, logLevel: 'warning' });
  return import(pathToFileURL(outfile).href);
}

async function write(path, content) {
  await writeFile(join(root, path), content);
  process.stdout.write(`${path}\n`);
}

const dir = await mkdtemp(join(tmpdir(), 'keyledger-docs-'));
try {
  const { generatedEventDocs } = await load(dir, 'packages/events/src/eventDocs.ts');
  for (const [name, content] of Object.entries(generatedEventDocs())) await write(`docs/events/${name}`, content);
  const { errorCodesMarkdown } = await load(dir, 'packages/http/src/errorCodeDocs.ts');
  await write('docs/errors.md', errorCodesMarkdown());
  const { openApiJson } = await load(dir, 'packages/openapi/src/index.ts');
  await write('docs/openapi.json', openApiJson());
} finally {
  await rm(dir, { recursive: true, force: true });
}
