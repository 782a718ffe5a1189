// After the end-to-end tests: each local stack they started keeps its destruction ledger beside
// its data dir (`<dir>.destruction-ledger.jsonl`), which the tests' temporary data dirs do not
// hold, so removing a data dir leaves its ledger behind. Removes the ledgers in the temp dir
// whose keyledger data dir is gone.
const { existsSync, readdirSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');

const SUFFIX = '.destruction-ledger.jsonl';

module.exports = async function removeOrphanLedgers() {
  const dir = tmpdir();
  for (const name of readdirSync(dir)) {
    if (!name.startsWith('keyledger-') || !name.endsWith(SUFFIX)) continue;
    if (!existsSync(path.join(dir, name.slice(0, -SUFFIX.length)))) rmSync(path.join(dir, name), { force: true });
  }
};
