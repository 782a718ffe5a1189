export * from './state';
export * from './evolve';
export * from './provisioning';
export * from './customerKeys';
export * from './retirement';
export * from './decide';
export * from './destruction';
