/** Backups of the local stack's tables, their restore, and the destruction ledger (loaded by `keyledger backup` only). */
export * from './backup';
export * from './backupFile';
export { destructionLedgerPath, FileDestructionLedger } from './fileDestructionLedger';
export type { StateCheck } from './restoreChecks';
