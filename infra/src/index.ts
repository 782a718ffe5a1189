export * from './dataStack';
