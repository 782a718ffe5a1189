import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

describe('the README tour', () => {
  it('writes only files that git ignores (key material and wrapped keys never show up as untracked)', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```(?:sh|bash)\n([\s\S]*?)```/g)].map((match) => match[1]!).join('\n');
    const written = new Set(
      [...blocks.matchAll(/(?:>\s*|--out\s+|-out\s+|"file":")([A-Za-z0-9_-]+\.(?:b64|json|ndjson|pem|bin|wrapped|txt|der))/g)].map((match) => match[1]!),
    );
    expect(written.size).toBeGreaterThanOrEqual(5);
    const ignored = new Set(readFileSync(join(ROOT, '.gitignore'), 'utf8').split('\n').map((line) => line.trim().replace(/^\//, '')));
    expect([...written].filter((file) => !ignored.has(file))).toEqual([]);
  });
});
