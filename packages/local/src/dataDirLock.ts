import { mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const LOCK_FILE = 'server.pid';
/** A lock file still empty this long after it was made belongs to a server that is starting. */
const STARTING_MS = 10_000;

/** Data dirs this process holds (a stack that failed to start in this process left a stale file). */
const held = new Set<string>();

export class DataDirInUseError extends Error {
  constructor(dataDir: string, pid?: number) {
    super(
      `the data dir ${dataDir} is in use by another keyledger${pid ? ` (pid ${pid})` : ' (starting)'}; stop that one, or start this one with another KEYLEDGER_DATA_DIR.`,
    );
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
 * One server per data dir: its pid in `server.pid`, created exclusively. A file left by a process
 * that is gone (a crash, SIGKILL) is removed and the exclusive create tried again, so two servers
 * taking over the same stale file cannot both win. Resolves with the release.
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  // In this process, taken at once (before any await): a second stack on the same dir is refused.
  if (held.has(dataDir)) throw new DataDirInUseError(dataDir, process.pid);
  held.add(dataDir);
  try {
    return await lockFile(dataDir);
  } catch (error) {
    held.delete(dataDir);
    throw error;
  }
}

async function lockFile(dataDir: string): Promise<() => Promise<void>> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, LOCK_FILE);
  const mine = `${process.pid}\n`;
  for (let attempt = 1; ; attempt += 1) {
    try {
      await writeFile(path, mine, { flag: 'wx', mode: 0o600 });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw error;
    }
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (text === undefined) continue; // removed meanwhile: try again
    const pid = Number.parseInt(text, 10);
    if (!(pid > 0)) {
      const age = Date.now() - (await stat(path).catch(() => ({ mtimeMs: 0 }))).mtimeMs;
      if (age < STARTING_MS) throw new DataDirInUseError(dataDir);
    } else if (pid !== process.pid && isAlive(pid)) {
      throw new DataDirInUseError(dataDir, pid);
    }
    await unlink(path).catch(() => undefined);
  }
  return async () => {
    held.delete(dataDir);
    if ((await readFile(path, 'utf8').catch(() => '')) === mine) await unlink(path).catch(() => undefined);
  };
}
