export * from './handlers';
export * from './eventHandler';
export * from './contract';
export * from './responses';
