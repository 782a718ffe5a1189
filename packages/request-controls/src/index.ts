export * from './gcra';
export * from './rateLimiter';
export * from './dynamoDbRateLimiter';
export * from './idempotencyStore';
export * from './idempotency';
export * from './requestControls';
export * from './fromSettings';
