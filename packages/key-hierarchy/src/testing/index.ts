export * from './serviceHarness';
