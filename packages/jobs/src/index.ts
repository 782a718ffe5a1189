export * from './job';
export * from './jobStore';
export * from './dynamoDbJobStore';
export * from './jobRunner';
