export * from './program';
export * from './apiClient';
