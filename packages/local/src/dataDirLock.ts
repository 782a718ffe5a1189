import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const LOCK_FILE = 'server.pid';

/** Data dirs this process holds (a stack that failed to start in this process left a stale file). */
const held = new Set<string>();

export class DataDirInUseError extends Error {
  constructor(dataDir: string, pid: number) {
    super(`the data dir ${dataDir} is in use by another keyledger (pid ${pid}); stop that one, or start this one with another KEYLEDGER_DATA_DIR.`);
    this.name = 'DataDirInUseError';
  }
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * One server per data dir: its pid in `server.pid`, written exclusively. A file left by a process
 * that is gone (a crash, SIGKILL) is taken over. Resolves with the release.
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, LOCK_FILE);
  const mine = `${process.pid}\n`;
  try {
    await writeFile(path, mine, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const pid = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
    const taken = Number.isSafeInteger(pid) && pid > 0 && (pid === process.pid ? held.has(dataDir) : isAlive(pid));
    if (taken) throw new DataDirInUseError(dataDir, pid);
    await writeFile(path, mine, { mode: 0o600 });
  }
  held.add(dataDir);
  return async () => {
    held.delete(dataDir);
    if ((await readFile(path, 'utf8').catch(() => '')) === mine) await unlink(path).catch(() => undefined);
  };
}
