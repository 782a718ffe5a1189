/**
 * What a restore needs beyond the API (its own entry, so the Lambdas do not carry it): the
 * destruction ledger's re-application (useCases/reapplyDestructions.ts).
 */
import type { KeyHierarchyService } from './keyHierarchyService';
import type { DestructionLedgerEntry } from './ledger/destructionLedger';
import { reapplyDestructions as reapply, type ReappliedDestructions } from './useCases/reapplyDestructions';

export { RESTORE_ACTOR, type ReappliedDestructions } from './useCases/reapplyDestructions';

/** After a restore, before serving: the ledger's destructions made again where the restored state still holds the keys. */
export function reapplyDestructions(service: KeyHierarchyService, entries: readonly DestructionLedgerEntry[]): Promise<ReappliedDestructions[]> {
  return reapply(service.ctx, entries);
}
