export * from './errors';
export * from './payload';
export * from './verify';
export * from './receiptKeyRepository';
export * from './dynamoDbReceiptKeyRepository';
export * from './receiptKeys';
export * from './receiptSigner';
