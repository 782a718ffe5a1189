import { Aspects, Stack, Tags, type App } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ApiStack } from './apiStack';
import type { KeyledgerContext } from './config';
import { DataStack } from './dataStack';
import { EventsStack } from './eventsStack';
import type { KeyledgerAppOptions } from './keyledgerApp';
import { KeysStack } from './keysStack';
import { observed, ObservabilityStack } from './observabilityStack';
import { ReplicaKeysStack } from './replicaKeysStack';
import type { RootKeyAccess } from './rootKeyAccess';
import { ServicesStack } from './servicesStack';
import { ReplicaTables, type TableSet } from './tableAccess';
import { builtDashboard, WebContentStack } from './webContentStack';
import { WebStack } from './webStack';

/** One Region's stacks of a multi-Region deployment. */
export interface RegionalStacks {
  services: ServicesStack;
  events: EventsStack;
  api: ApiStack;
  observability: ObservabilityStack;
}

/**
 * A multi-Region deployment (`-c primaryRegion=... -c replicaRegions=...`; new deployments
 * only): Region-bound stacks. In the primary Region the keys (multi-Region root and table keys),
 * the global tables with a replica per Region, and the dashboard; in each replica Region the
 * keys' replicas. Every Region runs the services, bus, outbox and API against its own replicas;
 * only the write Region commits (`writeRegion`, default the primary; KEYLEDGER_WRITE_REGION), and each Region's outbox publishes only the
 * commits made in it, so every event reaches one bus once and one projector writes each chain.
 * Stack ids carry the Region (`keyledger-<stage>-services-eu-central-1`); CloudFormation names
 * are the same in every Region (`keyledger-<stage>-services`).
 */
export function createMultiRegionStacks(app: App, context: KeyledgerContext, account: string | undefined, options: KeyledgerAppOptions = {}) {
  const dashboardDist = builtDashboard(options.dashboardDist);
  const primary = context.primaryRegion!;
  const prefix = `keyledger-${context.stage}`;
  const logRetention = context.logRetentionDays as RetentionDays;
  const envOf = (region: string) => ({ account, region });
  const named = (concern: string, region: string) => ({ env: envOf(region), stackName: `${prefix}-${concern}` });
  const id = (concern: string, region: string) => (region === primary ? `${prefix}-${concern}` : `${prefix}-${concern}-${region}`);

  const ledger = { retentionDays: context.destructionLedgerRetentionDays, logRetentionDays: context.logRetentionDays };
  const keys = new KeysStack(app, id('keys', primary), { ...named('keys', primary), context, logRetention, description: 'keyledger environment root key and table key (kms, multi-Region primaries)' });
  const replicaKeys = new Map<string, ReplicaKeysStack>();
  for (const region of context.replicaRegions) {
    replicaKeys.set(
      region,
      new ReplicaKeysStack(app, id('keys', region), {
        ...named('keys', region),
        crossRegionReferences: true,
        context,
        primaryRootKeyArn: keys.rootKeyArn!,
        primaryTableKeyArn: keys.tableKey!.keyArn,
        description: `keyledger keys' replicas in ${region}`,
      }),
    );
  }
  const data = new DataStack(app, id('data', primary), {
    ...named('data', primary),
    stage: context.stage,
    ledger,
    multiRegion: { replicaRegions: context.replicaRegions, tableKey: keys.tableKey! },
    description: 'keyledger global tables (a replica per Region)',
  });
  // A table's replica is made under its Region's key replica: those come first.
  for (const stack of replicaKeys.values()) data.addStackDependency(stack);
  const web = new WebStack(app, id('web', primary), { ...named('web', primary), context, description: 'keyledger admin dashboard hosting' });

  const regions = new Map<string, RegionalStacks>();
  for (const region of [primary, ...context.replicaRegions]) {
    let tables: TableSet = data;
    let rootKeys: RootKeyAccess = keys;
    if (region !== primary) {
      const replica = replicaKeys.get(region)!;
      const tablesStack = new Stack(app, id('tables', region), { ...named('tables', region), description: `keyledger global tables' replicas in ${region}, as the services there see them, and its destruction ledger` });
      tablesStack.addStackDependency(data);
      tables = new ReplicaTables(tablesStack, 'Tables', { stage: context.stage, tableKeyArn: replica.tableKeyArn, ledger });
      tablesStack.addStackDependency(replica);
      rootKeys = replica;
    }
    const services = new ServicesStack(app, id('services', region), { ...named('services', region), context, data: tables, keys: rootKeys, logRetention, writeRegion: context.writeRegion ?? primary, description: 'keyledger services' });
    const events = new EventsStack(app, id('events', region), { ...named('events', region), context, data: tables, services, logRetention, description: 'keyledger bus, outbox and audit consumer' });
    const api = new ApiStack(app, id('api', region), {
      ...named('api', region),
      context,
      logRetention,
      // The dashboard talks to the primary Region's API (its config.json names one URL).
      dashboardOrigin: region === primary ? web.origin : undefined,
      description: `keyledger HTTP API (${region})`,
      functions: { 'key-admin': services.keyAdmin, 'crypto-data-plane': services.cryptoDataPlane, 'audit-projector': services.auditProjector },
    });
    const observability = new ObservabilityStack(app, id('observability', region), {
      ...named('observability', region),
      context,
      description: 'keyledger alarms',
      ...observed(services, events, api),
    });
    regions.set(region, { services, events, api, observability });
  }
  const webContent = new WebContentStack(app, id('web-content', primary), {
    ...named('web-content', primary),
    context,
    logRetention,
    description: 'keyledger admin dashboard files and config.json',
    bucket: web.bucket,
    distribution: web.distribution,
    apiUrl: regions.get(primary)!.api.api.apiEndpoint,
    dashboardDist,
  });
  Tags.of(app).add('keyledger:stage', context.stage);
  Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
  return { keys, replicaKeys, data, web, webContent, regions };
}
