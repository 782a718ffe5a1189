import type { KeyHierarchyEvent, KeyType } from '@keyledger/domain';

/**
 * One destruction, as the destruction ledger keeps it apart from the backed-up tables: a key
 * destroyed (by retirement, a rekey, a CPRK deletion, a shred), or a tenant shredded. A restore
 * re-applies every entry before the stack serves (reapplyDestructions), so no backup brings a
 * destroyed key back. Entries hold ids only, never key material.
 */
export type DestructionLedgerEntry =
  | { kind: 'key'; tenant: string; kid: string; keyType: KeyType; cause: string; destroyedAt: string; version: number }
  | { kind: 'tenant'; tenant: string; destroyedAt: string; version: number };

/** Where destructions are recorded (locally a file beside the data dir; in AWS a store table restores do not roll back). */
export interface DestructionLedger {
  /** Appends, durably, before it resolves; appending an entry twice is harmless. */
  record(entries: readonly DestructionLedgerEntry[]): Promise<void>;
  /** Every entry, oldest first. */
  read(): Promise<DestructionLedgerEntry[]>;
}

/**
 * The ledger entries of one commit, from its events alone (so the AWS ledger writer, reading
 * the event table's stream, finds the same as the commit did): every key it destroys, and a shred.
 */
export function ledgerEntries(tenant: string, version: number, events: readonly KeyHierarchyEvent[]): DestructionLedgerEntry[] {
  const entries: DestructionLedgerEntry[] = [];
  for (const event of events) {
    if (event.type === 'KeyStateChanged' && event.data.to === 'destroyed') {
      const { kid, keyType, cause, occurredAt } = event.data;
      entries.push({ kind: 'key', tenant, kid, keyType, cause, destroyedAt: occurredAt, version });
    }
  }
  const shred = events.find((event) => event.type === 'TenantShredded');
  if (shred) entries.push({ kind: 'tenant', tenant, destroyedAt: shred.data.occurredAt, version });
  return entries;
}
