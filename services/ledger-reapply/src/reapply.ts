import { readsOnly, type Logger, type RegionRule } from '@keyledger/domain';
import type { KeyHierarchyService } from '@keyledger/key-hierarchy';
import { reapplyDestructions, type ReappliedDestructions } from '@keyledger/key-hierarchy/restore';
import type { LedgerPage } from '@keyledger/destruction-ledger/pages';

export interface PageReapplied {
  /** Entries on the page. */
  entries: number;
  /** Object versions of the page that held no ledger entries (reported by the reader). */
  skipped: string[];
  /** The tenants whose restored state still held something the page says was destroyed, and what was done. */
  reapplied: ReappliedDestructions[];
}

/**
 * After a DynamoDB table restore in AWS (PITR or an on-demand backup), before the API serves
 * again: every destruction on a (verified) page of the ledger is made again where the restored
 * tables still hold the key. `keyledger backup reapply-ledger` feeds it the ledger page by page while
 * the runbook (docs/operations.md) holds the API at zero concurrency. Idempotent: on tables that
 * were never restored it finds nothing to do and changes nothing. Only the write Region may run
 * it (the others cannot commit).
 */
export async function reapplyPage(options: { page: LedgerPage; keyHierarchy: KeyHierarchyService; regions?: RegionRule; logger: Logger }): Promise<PageReapplied> {
  const { page, regions, logger } = options;
  if (readsOnly(regions)) {
    throw new Error(`This Region (${regions!.region}) serves reads only: re-apply the destruction ledger in the write Region, ${regions!.writeRegion}.`);
  }
  const reapplied = page.entries.length === 0 ? [] : await reapplyDestructions(options.keyHierarchy, page.entries);
  const keys = reapplied.reduce((sum, tenant) => sum + tenant.keys.length, 0);
  if (reapplied.length > 0) logger.warn('destruction ledger re-applied: the restored tables held destroyed keys', { tenants: reapplied.length, keys });
  else logger.info('destruction ledger page checked: nothing to re-apply', { entries: page.entries.length });
  if (page.skipped?.length) logger.warn('destruction ledger: object versions that are not ledger objects were skipped', { skipped: page.skipped });
  return { entries: page.entries.length, skipped: page.skipped ?? [], reapplied };
}
