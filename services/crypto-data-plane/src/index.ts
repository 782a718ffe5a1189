export * from './handlers';
export * from './schemas';
export * from './service';
export * from './jobEvents';
export * from './jobPatterns';
