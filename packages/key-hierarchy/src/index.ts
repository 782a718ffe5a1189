export * from './keyHierarchyService';
export * from './tenantRepository';
export * from './material/materialCodec';
export type { KeyDependents, HierarchyChange, KeyHierarchyOptions } from './context';
export { FOLLOW_UP_ATTEMPTS } from './context';
