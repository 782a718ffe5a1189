export * from './handlers';
export * from './schemas';
