import { chmod, lstat, mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@keyledger/domain';

/** Only the owner may read the data dir: it holds wrapped keys, secret ciphertexts and the audit log. */
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

/**
 * Makes the data dir and everything under it owner-only (dirs 0700, files 0600), also when it
 * existed before with wider modes, and makes this process create files that way from now on
 * (umask 077: LevelDB, dynalite's store, writes its files with the process umask). The data
 * dir itself may be a symbolic link (to another disk); links inside it are neither followed
 * nor changed. Returns how many modes it had to narrow.
 */
export async function secureDataDir(dataDir: string, logger: Logger): Promise<number> {
  process.umask(0o077);
  await mkdir(dataDir, { recursive: true, mode: DIR_MODE });
  let narrowed = 0;
  const pending = [dataDir];
  while (pending.length > 0) {
    const dir = pending.pop()!;
    narrowed += await narrow(dir, DIR_MODE, dir === dataDir);
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) pending.push(path);
      else if (entry.isFile()) narrowed += await narrow(path, FILE_MODE);
    }
  }
  if (narrowed > 0) logger.warn('data dir had files others could read; narrowed their modes', { dataDir, narrowed });
  return narrowed;
}

async function narrow(path: string, mode: number, followLink = false): Promise<number> {
  const current = (await (followLink ? stat : lstat)(path)).mode & 0o777;
  if ((current & ~mode) === 0) return 0;
  await chmod(path, current & mode);
  return 1;
}
