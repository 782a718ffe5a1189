export * from './keyHierarchyService';
export * from './tenantRepository';
export * from './materialCodec';
export * from './config';
