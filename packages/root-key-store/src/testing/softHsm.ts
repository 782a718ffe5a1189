import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SOFTHSM_LIBRARY = process.env['KEYLEDGER_PKCS11_LIBRARY'] ?? '/usr/lib/softhsm/libsofthsm2.so';

function hasSoftHsmUtil(): boolean {
  try {
    execFileSync('softhsm2-util', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** SoftHSM2 is installed (library and softhsm2-util). `.ci/run` installs it and sets KEYLEDGER_REQUIRE_SOFTHSM=1. */
export function softHsmAvailable(): boolean {
  return existsSync(SOFTHSM_LIBRARY) && hasSoftHsmUtil();
}

/**
 * `describe` for tests that need SoftHSM2: skipped with a message on a laptop without it,
 * a failure where it is required (CI).
 */
export function describeWithSoftHsm(name: string, body: () => void): void {
  if (softHsmAvailable()) {
    describe(name, body);
    return;
  }
  if (process.env['KEYLEDGER_REQUIRE_SOFTHSM'] === '1') {
    describe(name, () => {
      it('needs SoftHSM2', () => {
        throw new Error(`SoftHSM2 is required here (KEYLEDGER_REQUIRE_SOFTHSM=1) but ${SOFTHSM_LIBRARY} or softhsm2-util is missing.`);
      });
    });
    return;
  }
  console.warn(`SKIPPED "${name}": SoftHSM2 is not installed (apt-get install softhsm2). .ci/run installs it and makes these tests mandatory.`);
  describe.skip(name, body);
}

export interface SoftHsmToken {
  /** SOFTHSM2_CONF of the token's directory. */
  conf: string;
  label: string;
  pin: string;
  /** Deletes the token. */
  remove(): void;
}

/**
 * A fresh token with a label of its own. In-process tests use the configuration the unit
 * project's global setup made for this run (SoftHSM2 reads SOFTHSM2_CONF once per process);
 * child processes get a new temp directory each. No two tests share a token.
 */
export function createSoftHsmToken(options: { conf?: string; pin?: string } = {}): SoftHsmToken {
  let conf = options.conf;
  let dir: string | undefined;
  if (!conf) {
    dir = mkdtempSync(join(tmpdir(), 'keyledger-softhsm-'));
    mkdirSync(join(dir, 'tokens'));
    conf = join(dir, 'softhsm2.conf');
    writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  }
  const label = `kl-${randomBytes(6).toString('hex')}`;
  const pin = options.pin ?? '1234';
  const env = { ...process.env, SOFTHSM2_CONF: conf };
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', `${pin}-so`], { env, stdio: 'ignore' });
  return {
    conf,
    label,
    pin,
    remove: () => {
      execFileSync('softhsm2-util', ['--delete-token', '--token', label], { env, stdio: 'ignore' });
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The SOFTHSM2_CONF this process's SoftHSM2 reads (set by the unit project's global setup). */
export function processSoftHsmConf(): string {
  const conf = process.env['SOFTHSM2_CONF'];
  if (!conf) throw new Error('SOFTHSM2_CONF is not set: run the tests through jest (test/support/softHsmConf.js sets it).');
  return conf;
}
