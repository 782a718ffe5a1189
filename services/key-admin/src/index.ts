export * from './handlers';
export * from './keyView';
export * from './schemas';
