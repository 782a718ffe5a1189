export * from './handlers';
export * from './eventHandler';
