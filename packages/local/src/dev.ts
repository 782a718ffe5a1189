/** What the CLI needs of the local stack without loading it: the dev issuer and the local settings. */
export * from './devIssuer';
export * from './config';
