import type { ActivityRecorder } from '@keyledger/activity';
import type { CryptoDataPlane, DynamoDbSecretControls, ReencryptionJobs, SecretsService } from '@keyledger/data-plane';
import type { SecretPolicies } from '../secretPolicies';
import { createSecretControlHandlers, type SecretControlOperation } from './secretControlHandlers';
import type { Logger } from '@keyledger/domain';
import type { RouteHandler } from '@keyledger/http';
import { createCryptoHandlers, type CryptoOperation } from './cryptoHandlers';
import { createJobHandlers, type JobOperation } from './jobHandlers';
import { createSecretHandlers, type SecretOperation } from './secretHandlers';

export { toJobView } from './jobHandlers';

export interface CryptoDataPlaneDependencies {
  dataPlane: Pick<CryptoDataPlane, 'encrypt' | 'decrypt' | 'rewrap' | 'generateDataKey' | 'activeNamespaceKid' | 'assertTenantUsable'>;
  secrets: SecretsService;
  controls: DynamoDbSecretControls;
  policies: SecretPolicies;
  activity: ActivityRecorder;
  jobs: ReencryptionJobs;
  /** The JWT claim that names the caller's tenant. */
  tenantClaim: string;
  /**
   * Wraps the handlers that change secrets (put, rotate, delete, re-encrypt) so that each call is
   * recorded as sapi/fapi. Reads and the crypto operations are not recorded: one event per
   * encrypt would cost a DynamoDB write on the hot path.
   */
  recordChanges?: (handler: RouteHandler) => RouteHandler;
  /** Wraps secret value reads: only the reads an access rule refuses are recorded (fapi). */
  recordRefusals?: (handler: RouteHandler) => RouteHandler;
  clock?: () => Date;
  logger?: Logger;
}

export type CryptoDataPlaneOperation = CryptoOperation | SecretOperation | SecretControlOperation | JobOperation;

export function createCryptoDataPlaneHandlers(deps: CryptoDataPlaneDependencies): Record<CryptoDataPlaneOperation, RouteHandler> {
  const common = { tenantClaim: deps.tenantClaim, logger: deps.logger };
  const recordChanges = deps.recordChanges ?? ((handler: RouteHandler) => handler);
  const activeNamespaceKid = (tenant: string, namespace: string) => deps.dataPlane.activeNamespaceKid(tenant, namespace);
  return {
    ...createCryptoHandlers(deps.dataPlane, common),
    ...createSecretHandlers(deps, common, recordChanges, deps.recordRefusals ?? ((handler: RouteHandler) => handler)),
    ...createSecretControlHandlers(deps, common, recordChanges),
    ...createJobHandlers({ jobs: deps.jobs, activeNamespaceKid, assertTenantUsable: (tenant) => deps.dataPlane.assertTenantUsable(tenant) }, common, recordChanges),
  };
}
