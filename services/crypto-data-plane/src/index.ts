export * from './handlers';
export * from './schemas';
export * from './service';
export * from './jobEvents';
