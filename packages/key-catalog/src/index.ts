export * from './keyCatalog';
export * from './dynamoDbKeyCatalog';
