export * from './integrationEvents';
export * from './commitPublisher';
export * from './streamHandler';
export * from './checkpointStore';
export * from './catchUpPublisher';
