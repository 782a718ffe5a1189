export * from './settings';
export * from './readSettings';
export * from './duration';
export * from './schemas';
export * from './instant';
