export * from './handlers';
export * from './schemas';
export * from './service';
export * from './replayPolicies';
export * from './jobEvents';
export * from './jobPatterns';
