export * from './tableDefinitions';
export * from './createTables';
export * from './dynalite';
export * from './localDynamoDb';
export * from './batchWrite';
export * from './timeToLive';
