export * from './rootKeyStore';
export * from './retry';
export * from './customerKeyImport';
export * from './wrappingProfiles';
export * from './delegatingRootKeyStore';
export * from './softwareRootKeyStore';
export * from './kmsRootKeyStore';
export * from './cloudHsmCheck';
