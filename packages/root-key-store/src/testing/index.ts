export * from './softHsm';
export * from './pkcs11Lambda';
