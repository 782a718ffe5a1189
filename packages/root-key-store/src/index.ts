export * from './rootKeyStore';
export * from './retry';
export * from './softwareRootKeyStore';
export * from './kmsRootKeyStore';
