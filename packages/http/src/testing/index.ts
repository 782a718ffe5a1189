export * from './httpEvent';
