import { resolve } from 'node:path';
import { readDataPlaneLimits, type DataPlaneLimits } from '@keyledger/data-plane';
import type { RegionRule } from '@keyledger/domain';
import { envName, readSettings, requireSetting, type Environment, type SettingValues } from '@keyledger/settings';

export { FAULTS, type Fault } from '@keyledger/settings';

const LOCAL_SETTINGS = [
  'port',
  'host',
  'dataDir',
  'dynamodbPort',
  'namespaces',
  'tenantClaim',
  'jwtAudience',
  'rootKeyStore',
  'pkcs11Library',
  'pkcs11TokenLabel',
  'pkcs11Pin',
  'pkcs11RootKeyLabel',
  'devTenant',
  'environmentName',
  'eventRules',
  'outboxPollMs',
  'faults',
  'devClock',
  'usageFlushInterval',
  'retireQuietPeriod',
  'destructionWaitingPeriod',
  'destructionApprovals',
  'destructionRequestTtl',
  'httpHeadersTimeout',
  'httpRequestTimeout',
  'httpKeepAliveTimeout',
  'httpMaxConnections',
  'httpMaxRequestsInFlight',
  'httpMaxBufferedBytes',
  'rateLimit',
  'rateLimitBurst',
  'region',
  'writeRegion',
] as const;

export type LocalConfig = SettingValues<(typeof LOCAL_SETTINGS)[number]> & {
  rootKeyStore: 'software' | 'pkcs11';
  dataPlaneLimits: DataPlaneLimits;
  /** A multi-Region drill's stack plays `region`; only `writeRegion` (default: its own) changes anything. */
  regions: RegionRule | undefined;
};

/** The local stack's settings (see the README's table); `dataDir` is made absolute. */
export function readLocalConfig(env: Environment): LocalConfig {
  const chosen = env[envName('rootKeyStore')];
  requireSetting(chosen === undefined || chosen === 'software' || chosen === 'pkcs11', 'rootKeyStore', "must be 'software' or 'pkcs11' locally (kms needs AWS)");
  const read = readSettings(LOCAL_SETTINGS, env);
  const settings = { ...read, rootKeyStore: (read.rootKeyStore ?? 'software') as 'software' | 'pkcs11' };
  requireSetting(settings.rootKeyStore !== 'pkcs11' || !!settings.pkcs11Pin, 'pkcs11Pin', 'is required when KEYLEDGER_ROOT_KEY_STORE=pkcs11 (the user PIN of the token)');
  requireSetting(
    settings.httpHeadersTimeout <= settings.httpRequestTimeout,
    'httpHeadersTimeout',
    'must not be longer than KEYLEDGER_HTTP_REQUEST_TIMEOUT (the whole request includes its headers)',
  );
  const regions = settings.region ? { region: settings.region, writeRegion: settings.writeRegion ?? settings.region } : undefined;
  return { ...settings, dataDir: resolve(settings.dataDir), dataPlaneLimits: readDataPlaneLimits(env), regions };
}
