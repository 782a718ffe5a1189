/**
 * What the Lambda bundles use instead of `@aws-sdk/credential-provider-node` (an esbuild alias,
 * infra/functions.json): Lambda always hands a function its role's credentials in the
 * environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), so the default
 * chain's SSO, ini, process, web-identity and instance-metadata providers (and the STS/SSO
 * clients they bring, about 90 KiB) are never used there. Same export as the package it replaces.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

export const defaultProvider = (init: Parameters<typeof fromEnv>[0] = {}) => fromEnv(init);
