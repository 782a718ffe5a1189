export * from './integrationEvents';
export * from './activityRecorder';
export * from './auditedRootKeyStore';
export * from './commitPublisher';
export * from './streamHandler';
export * from './checkpointStore';
export * from './catchUpPublisher';
export * from './apiActivity';
