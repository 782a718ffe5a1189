/**
 * The shape of the repository, checked: packages are used through what they export, no
 * production file grows past what one reads in a sitting, and the outbox stays only the outbox.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const SOURCE_DIRS = ['packages', 'services', 'infra', 'test', 'scripts'];
const MAX_PRODUCTION_LINES = 350;

function walk(dir: string, found: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name === 'bench-dist' || name === 'cdk.out' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, found);
    else if (/\.(ts|tsx|mts|js|mjs|cjs)$/.test(name)) found.push(path);
  }
  return found;
}

const files = SOURCE_DIRS.flatMap((dir) => walk(join(ROOT, dir)));
const rel = (path: string) => relative(ROOT, path).split(sep).join('/');

/** Every module specifier of a file: static imports and re-exports, dynamic import(), require(), jest.mock(). */
function specifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [/\bfrom\s+['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g, /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g, /\bimport\s+['"]([^'"]+)['"]/g, /\bjest\.mock\s*\(\s*['"]([^'"]+)['"]/g];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) found.push(match[1]!);
  return found;
}

/** The workspace folder (packages/x, services/x) a path is in, if any. */
function workspaceOf(path: string): string | undefined {
  const parts = rel(path).split('/');
  if ((parts[0] === 'packages' || parts[0] === 'services') && parts.length > 2) return `${parts[0]}/${parts[1]}`;
  if (parts[0] === 'infra') return 'infra';
  return undefined;
}

describe('repository structure', () => {
  it('finds the source files it checks', () => {
    expect(files.length).toBeGreaterThan(100);
  });

  it("imports no other package's src/ by deep path, statically or dynamically (tests included)", () => {
    const offences: string[] = [];
    for (const file of files) {
      for (const specifier of specifiers(readFileSync(file, 'utf8'))) {
        if (/^@keyledger\/[^/]+\/src(\/|$)/.test(specifier)) offences.push(`${rel(file)}: ${specifier}`);
        if (specifier.startsWith('.')) {
          const target = resolve(dirname(file), specifier);
          const from = workspaceOf(file);
          const to = workspaceOf(target);
          if (to !== undefined && to !== from) offences.push(`${rel(file)}: ${specifier} (reaches into ${to})`);
        }
      }
    }
    expect(offences).toEqual([]);
  });

  it(`keeps every production source file at ${MAX_PRODUCTION_LINES} lines or fewer`, () => {
    const production = files.filter((file) => {
      const path = rel(file);
      return /^(packages|services)\/[^/]+\/src\/|^infra\/src\//.test(path) && !/\.test\.ts$/.test(path) && !/\/testing\//.test(path);
    });
    const long = production
      .map((file) => ({ file: rel(file), lines: readFileSync(file, 'utf8').split('\n').length }))
      .filter(({ lines }) => lines > MAX_PRODUCTION_LINES);
    expect(long).toEqual([]);
  });

  it('keeps the outbox free of KMS and Secrets Manager clients', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'packages', 'outbox', 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
    const declared = Object.keys({ ...manifest['dependencies'], ...manifest['devDependencies'] });
    const used = files
      .filter((file) => rel(file).startsWith('packages/outbox/'))
      .flatMap((file) => specifiers(readFileSync(file, 'utf8')));
    for (const name of [...declared, ...used]) expect(name).not.toMatch(/client-(kms|secrets-manager)|@keyledger\/(root-key-store|aws-runtime|key-hierarchy)/);
  });

  it('has every Lambda entry under services/', () => {
    const functions = JSON.parse(readFileSync(join(ROOT, 'infra', 'functions.json'), 'utf8')) as { functions: Record<string, { entry: string }> };
    for (const { entry } of Object.values(functions.functions)) expect(entry).toMatch(/^services\/[^/]+\/src\/lambda\.ts$/);
  });

  it('keeps test helpers out of production barrels', () => {
    const barrels = files.filter((file) => /^(packages|services)\/[^/]+\/src\/index\.ts$/.test(rel(file)));
    for (const barrel of barrels) expect(specifiers(readFileSync(barrel, 'utf8')).filter((specifier) => /testing/.test(specifier))).toEqual([]);
  });
});
