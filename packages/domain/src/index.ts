export * from './errors';
export * from './keys';
export * from './events';
export * from './commands';
export * from './tenantKeyHierarchy';
export { deciderSpecification, type Decider } from './testing/deciderSpecification';
export * from './logger';
export * from './streams';
export * from './backoff';
