import { Aspects, Tags, type App, type Environment } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ApiStack } from './apiStack';
import type { KeyledgerContext } from './config';
import { DataStack } from './dataStack';
import { EventsStack } from './eventsStack';
import { KeysStack } from './keysStack';
import { observed, ObservabilityStack } from './observabilityStack';
import { ServicesStack } from './servicesStack';
import { builtDashboard, WebContentStack } from './webContentStack';
import { WebStack } from './webStack';

export interface KeyledgerAppOptions {
  /** The admin dashboard's build (index.html, assets/); default packages/dashboard/dist. */
  dashboardDist?: string;
}

/**
 * keyledger's stacks, one per concern, named `keyledger-<stage>-<concern>`. cdk-nag's AWS
 * Solutions checks run on all of them: an unacknowledged finding fails synthesis.
 *
 * The dashboard's hosting (web) comes before the API, which allows CORS for its origin; its
 * content (web-content), with config.json naming the API's URL, comes after both.
 */
export function createKeyledgerStacks(app: App, context: KeyledgerContext, env?: Environment, options: KeyledgerAppOptions = {}) {
  // Before any function is bundled: a missing dashboard build stops synthesis at once.
  const dashboardDist = builtDashboard(options.dashboardDist);
  const prefix = `keyledger-${context.stage}`;
  const logRetention = context.logRetentionDays as RetentionDays;
  const ledger = { retentionDays: context.destructionLedgerRetentionDays, logRetentionDays: context.logRetentionDays };
  const data = new DataStack(app, `${prefix}-data`, { env, stage: context.stage, ledger, description: 'keyledger tables, their key, and the destruction ledger' });
  const keys = new KeysStack(app, `${prefix}-keys`, { env, context, logRetention, description: `keyledger environment root key (${context.rootKeyMode})` });
  const services = new ServicesStack(app, `${prefix}-services`, { env, context, data, keys, logRetention, description: 'keyledger services' });
  const events = new EventsStack(app, `${prefix}-events`, { env, context, data, services, logRetention, description: 'keyledger bus, outbox and audit consumer' });
  const web = new WebStack(app, `${prefix}-web`, { env, context, description: 'keyledger admin dashboard hosting' });
  const api = new ApiStack(app, `${prefix}-api`, {
    env,
    context,
    logRetention,
    dashboardOrigin: web.origin,
    description: 'keyledger HTTP API',
    functions: { 'key-admin': services.keyAdmin, 'crypto-data-plane': services.cryptoDataPlane, 'audit-projector': services.auditProjector },
  });
  const webContent = new WebContentStack(app, `${prefix}-web-content`, {
    env,
    context,
    logRetention,
    description: 'keyledger admin dashboard files and config.json',
    bucket: web.bucket,
    distribution: web.distribution,
    apiUrl: api.api.apiEndpoint,
    dashboardDist,
  });
  const observability = new ObservabilityStack(app, `${prefix}-observability`, {
    env,
    context,
    description: 'keyledger alarms',
    ...observed(services, events, api),
  });
  Tags.of(app).add('keyledger:stage', context.stage);
  Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
  return { data, keys, services, events, web, api, webContent, observability };
}
