export * from './keyHierarchyService';
export * from './tenantRepository';
export * from './material/materialCodec';
export type { KeyDependents, HierarchyChange, KeyHierarchyOptions, ReceiptClaims, ReceiptIssuer, TenantDataPurger } from './context';
export { DestructionReceiptNotFoundError } from './useCases/receipts';
export { FOLLOW_UP_ATTEMPTS } from './context';
export * from './ledger/destructionLedger';
