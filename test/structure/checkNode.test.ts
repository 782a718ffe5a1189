import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const SCRIPT = join(__dirname, '..', '..', 'scripts', 'checkNode.mjs');

/** Runs `npm start`'s first step as if this Node were `version`. */
function checkAs(version: string) {
  const preload = `Object.defineProperty(process.versions, 'node', { value: ${JSON.stringify(version)} });`;
  return spawnSync(process.execPath, ['--input-type=module', '-e', `${preload} await import(${JSON.stringify(SCRIPT)});`], { encoding: 'utf8' });
}

describe('npm start on an older Node', () => {
  it('refuses in one line that says which version it needs', () => {
    const old = checkAs('20.19.0');
    expect(old.status).toBe(1);
    expect(old.stderr).toMatch(/^keyledger needs Node\.js 22 or later \(this is v20\.19\.0\); [^\n]+\n$/);
  });

  it('lets Node 22 and later through silently', () => {
    for (const version of ['22.0.0', '24.3.1']) expect(checkAs(version)).toMatchObject({ status: 0, stderr: '', stdout: '' });
  });
});
