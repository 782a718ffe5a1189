export * from './config';
export * from './devIssuer';
export * from './localServer';
export * from './localStack';
export * from './apiGatewayEvent';
