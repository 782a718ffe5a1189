export * from './routes';
export * from './errors';
export * from './errorResponse';
export * from './auth';
export * from './httpHandler';
export * from './logger';
export * from './serviceRouter';
export * from './queryParameters';
