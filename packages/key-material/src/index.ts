export * from './keyMaterialStore';
export * from './dynamoDbKeyMaterialStore';
