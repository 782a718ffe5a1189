/** What the re-apply function (services/ledger-reapply) takes from the ledger: pages, their MACs, the objects' layout; not the S3 client. */
export { ledgerObjectKey, LEDGER_PREFIX } from './layout';
export type { LedgerCursor, LedgerPage } from './s3DestructionLedger';
export { signPage, verifyPage, type SignedLedgerPage } from './signedPage';
