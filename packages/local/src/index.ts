export * from './config';
export * from './devIssuer';
export * from './localServer';
export type { ConnectionLimits } from './connectionLimits';
export * from './localStack';
export * from './apiGatewayEvent';
