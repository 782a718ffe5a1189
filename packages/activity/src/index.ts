export * from './activityRecorder';
export * from './apiActivity';
export * from './auditedRootKeyStore';
export * from './jobActivity';
