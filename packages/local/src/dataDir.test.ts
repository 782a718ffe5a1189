import { chmod, lstat, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@keyledger/domain';
import { secureDataDir } from './dataDir';

const mode = async (path: string) => (await lstat(path)).mode & 0o777;

describe('secureDataDir', () => {
  let root: string;
  let umask: number;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'keyledger-datadir-'));
    umask = process.umask();
  });

  afterEach(async () => {
    process.umask(umask);
    await rm(root, { recursive: true, force: true });
  });

  it('creates a missing data dir as 0700', async () => {
    const dir = join(root, 'fresh');
    expect(await secureDataDir(dir, silentLogger)).toBe(0);
    expect(await mode(dir)).toBe(0o700);
  });

  it('narrows an existing dir, its subdirs and files, without following links', async () => {
    const dir = join(root, 'old');
    await mkdir(join(dir, 'dynamodb'), { recursive: true });
    await chmod(dir, 0o755);
    await chmod(join(dir, 'dynamodb'), 0o775);
    // Modes set with chmod: the umask of this process may be anything (other tests set it).
    await writeFile(join(dir, 'dynamodb', '000005.ldb'), 'x');
    await chmod(join(dir, 'dynamodb', '000005.ldb'), 0o644);
    await writeFile(join(dir, 'root-key.json'), 'x');
    await chmod(join(dir, 'root-key.json'), 0o600);
    const outside = join(root, 'outside.txt');
    await writeFile(outside, 'x');
    await chmod(outside, 0o644);
    await symlink(outside, join(dir, 'link'));

    expect(await secureDataDir(dir, silentLogger)).toBe(3);
    expect([await mode(dir), await mode(join(dir, 'dynamodb')), await mode(join(dir, 'dynamodb', '000005.ldb')), await mode(join(dir, 'root-key.json'))]).toEqual([
      0o700, 0o700, 0o600, 0o600,
    ]);
    expect(await mode(outside)).toBe(0o644);
  });

  it('makes the process create owner-only files from then on', async () => {
    process.umask(0o022);
    await secureDataDir(join(root, 'd'), silentLogger);
    await writeFile(join(root, 'd', 'later.log'), 'x');
    expect(await mode(join(root, 'd', 'later.log'))).toBe(0o600);
  });
});
