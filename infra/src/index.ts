export * from './config';
export * from './dataStack';
export * from './keysStack';
export * from './servicesStack';
export * from './eventsStack';
export * from './apiStack';
export * from './observabilityStack';
export * from './keyledgerApp';
