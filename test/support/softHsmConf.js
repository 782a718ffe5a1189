// SoftHSM2 reads SOFTHSM2_CONF when a process first initializes it, and jest's per-file
// process.env is a copy that native code never sees: so the unit project's workers inherit a
// configuration from here, whose token directory is a fresh temp dir of this run. Each test
// creates its own token in it (unique label), so no test shares a token with another.
const { mkdirSync, mkdtempSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

module.exports = async function softHsmConf() {
  const dir = mkdtempSync(join(tmpdir(), 'keyledger-softhsm-run-'));
  mkdirSync(join(dir, 'tokens'));
  writeFileSync(join(dir, 'softhsm2.conf'), `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  process.env.SOFTHSM2_CONF = join(dir, 'softhsm2.conf');
  process.env.KEYLEDGER_TEST_SOFTHSM_DIR = dir;
};
