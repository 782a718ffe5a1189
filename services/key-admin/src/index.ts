export * from './handlers';
export * from './keyView';
export * from './schemas';
export * from './contract';
export * from './responses';
export * from './receiptKeys';
