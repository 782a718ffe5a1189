export * from './handlers';
export * from './schemas';
export * from './contract';
export * from './responses';
export * from './service';
export * from './replayPolicies';
export * from './jobEvents';
export * from './jobPatterns';
