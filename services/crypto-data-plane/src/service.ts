import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CryptoDataPlane, DynamoDbSecretStore, SecretsService, type DataPlaneLimits } from '@keyledger/data-plane';
import type { Logger } from '@keyledger/domain';
import { createServiceRouter } from '@keyledger/http';
import type { KeyHierarchyService } from '@keyledger/key-hierarchy';
import { recordApiCalls, type ActivityRecorder } from '@keyledger/activity';
import { createCryptoDataPlaneHandlers } from './handlers';

export interface CryptoDataPlaneServiceOptions {
  keyHierarchy: KeyHierarchyService;
  dynamodb: DynamoDBClient;
  secretsTable: string;
  limits?: Partial<DataPlaneLimits>;
  /** Where changes to secrets are recorded as sapi/fapi. */
  activity: ActivityRecorder;
  tenantClaim: string;
  logger: Logger;
}

/** The crypto-data-plane service, the same locally and on Lambda: its caches live as long as the process. */
export function createCryptoDataPlaneService(options: CryptoDataPlaneServiceOptions) {
  const { activity, tenantClaim, logger } = options;
  const dataPlane = new CryptoDataPlane({ keyHierarchy: options.keyHierarchy, limits: options.limits, logger });
  const secrets = new SecretsService({ store: new DynamoDbSecretStore({ client: options.dynamodb, tableName: options.secretsTable }), dataPlane });
  const router = createServiceRouter(
    'crypto-data-plane',
    createCryptoDataPlaneHandlers({
      dataPlane,
      secrets,
      tenantClaim,
      logger,
      recordChanges: (handler) => recordApiCalls(handler, { activity, tenantClaim, logger }),
    }),
  );
  return { router, dataPlane, secrets };
}
