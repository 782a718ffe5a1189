export * from './schemas';
export * from './eventBridgeEntry';
export * from './eventPattern';
export * from './publisher';
export * from './eventBridgePublisher';
export * from './inProcessBus';
export * from './jsonSchemas';
export * from './eventDocs';
