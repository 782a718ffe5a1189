import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataDirInUseError, LOCK_FILE, lockDataDir } from './dataDirLock';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keyledger-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('one server per data dir', () => {
  it('refuses a second lock while the first is held, and frees it on release', async () => {
    const release = await lockDataDir(dir);
    expect(await readFile(join(dir, LOCK_FILE), 'utf8')).toBe(`${process.pid}\n`);
    await expect(lockDataDir(dir)).rejects.toThrow(new DataDirInUseError(dir, process.pid));
    await release();
    const again = await lockDataDir(dir);
    await again();
  });

  it('takes over the file of a process that is gone, but not that of a live one or of one still starting', async () => {
    await writeFile(join(dir, LOCK_FILE), '2147483646\n');
    const release = await lockDataDir(dir);
    await release();
    await writeFile(join(dir, LOCK_FILE), `${process.ppid}\n`);
    await expect(lockDataDir(dir)).rejects.toThrow(`(pid ${process.ppid})`);
    await writeFile(join(dir, LOCK_FILE), '');
    await expect(lockDataDir(dir)).rejects.toThrow('(starting)');
  });

  it('lets only one of two servers that race for a stale file win', async () => {
    await writeFile(join(dir, LOCK_FILE), '2147483646\n');
    const results = await Promise.allSettled([lockDataDir(dir), lockDataDir(dir)]);
    // In one process both look the same; the file is exclusive, so at most one holds it.
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
  });
});
