export * from './awsRootKeyStore';
export * from './awsKeyHierarchy';
