export * from './serviceHarness';
export * from './tableScan';
