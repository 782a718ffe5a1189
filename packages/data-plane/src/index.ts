export * from './cryptoDataPlane';
export * from './envelope';
export * from './errors';
export * from './limits';
export * from './secretStore';
export * from './dynamoDbSecretStore';
export * from './secretsService';
export * from './config';
