export * from './logEntry';
export * from './verifyChain';
export * from './auditLogStore';
export * from './auditLogProjector';
export * from './query';
