export * from './openApiDocument';
