export * from './errors';
export * from './eventStore';
export * from './dynamoDbEventStore';
export * from './eventSourcedRepository';
