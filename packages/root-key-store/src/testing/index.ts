export * from './softHsm';
