import { readLocalConfig } from '@keyledger/local/dev';
import type { Command } from 'commander';
import { addLedgerCommands, type LedgerCommandDeps } from './ledgerCommands';

export interface BackupCommandDeps {
  out: (text: string) => void;
  env: Record<string, string | undefined>;
  lambda?: LedgerCommandDeps['lambda'];
}

/**
 * `keyledger backup create|restore`: the local stack's tables to one owner-only file and back
 * (KEYLEDGER_DATA_DIR, with the stack stopped). The root key and the dev issuer key are never in
 * the file; a restore re-applies the destruction ledger and checks the state before it is used.
 * In AWS, `backup reapply-ledger` re-applies the ledger after a table restore (ledgerCommands.ts).
 */
export function addBackupCommands(program: Command, deps: BackupCommandDeps): void {
  const backup = program.command('backup').description('Back up the local stack\'s tables, or restore them (KEYLEDGER_DATA_DIR; stop `npm start` first).');

  backup
    .command('create')
    .description('Write every table of the data dir to FILE (new, mode 0600): never the root key or the dev issuer key.')
    .argument('<file>', 'the backup file to create')
    .action(async (file: string) => {
      const { createBackup } = await import('@keyledger/local/backup');
      const config = readLocalConfig(deps.env);
      const summary = await createBackup(config, file);
      const items = Object.values(summary.tables).reduce((sum, count) => sum + (count ?? 0), 0);
      deps.out(`backed up ${items} items of ${Object.keys(summary.tables).length} tables from ${config.dataDir} to ${file}\n`);
      deps.out(`the root key (${config.rootKeyStore === 'software' ? `${config.dataDir}/root-key.json` : 'in the PKCS#11 token'}) is not in it: keep it apart, a restore needs it\n`);
    });

  backup
    .command('restore')
    .description('Load FILE into the data dir (holding nothing but root-key.json and dev-issuer.json), re-apply the destruction ledger, check the state.')
    .argument('<file>', 'the backup file')
    .option('--ledger <file>', 'the destruction ledger of the deployment the backup came from (default: the one beside the data dir)')
    .option('--no-ledger', 'restore without a destruction ledger (only for a deployment that never kept one)')
    // commander gives `ledger` true by default (a --no- option), false with --no-ledger, the path with --ledger.
    .action(async (file: string, options: { ledger?: string | boolean }) => {
      const { restoreBackup } = await import('@keyledger/local/backup');
      const config = readLocalConfig(deps.env);
      const summary = await restoreBackup(config, file, typeof options.ledger === 'string' ? { ledger: options.ledger } : { noLedger: options.ledger === false });
      const items = Object.values(summary.tables).reduce((sum, count) => sum + (count ?? 0), 0);
      const { check } = summary;
      deps.out(`restored ${items} items (backup of ${summary.createdAt}) into ${config.dataDir}\n`);
      deps.out(`destruction ledger ${summary.ledger.path}: ${summary.ledger.entries} entries re-applied where the backup still held the keys\n`);
      deps.out(`checked ${check.tenants} tenants (${check.shredded} shredded): ${check.auditEntries} audit entries verify, ${check.keysUnwrapped} live keys unwrap\n`);
      if (check.problems.length > 0) {
        for (const problem of check.problems) deps.out(`FAIL  ${problem}\n`);
        throw new Error(`The restored state in ${config.dataDir} failed its checks: do not serve it.`);
      }
      deps.out('ok: start it with `npm start`\n');
    });

  addLedgerCommands(backup, { out: deps.out, lambda: deps.lambda });
}
