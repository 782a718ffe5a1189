export * from './keyHierarchyService';
export * from './tenantRepository';
export * from './materialCodec';
