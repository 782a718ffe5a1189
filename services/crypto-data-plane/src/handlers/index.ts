import type { CryptoDataPlane, ReencryptionJobs, SecretsService } from '@keyledger/data-plane';
import type { Logger } from '@keyledger/domain';
import type { RouteHandler } from '@keyledger/http';
import { createCryptoHandlers, type CryptoOperation } from './cryptoHandlers';
import { createJobHandlers, type JobOperation } from './jobHandlers';
import { createSecretHandlers, type SecretOperation } from './secretHandlers';

export { toJobView } from './jobHandlers';

export interface CryptoDataPlaneDependencies {
  dataPlane: Pick<CryptoDataPlane, 'encrypt' | 'decrypt' | 'rewrap' | 'generateDataKey' | 'activeNamespaceKid' | 'assertTenantUsable'>;
  secrets: SecretsService;
  jobs: ReencryptionJobs;
  /** The JWT claim that names the caller's tenant. */
  tenantClaim: string;
  /**
   * Wraps the handlers that change secrets (put, rotate, delete, re-encrypt) so that each call is
   * recorded as sapi/fapi. Reads and the crypto operations are not recorded: one event per
   * encrypt would cost a DynamoDB write on the hot path.
   */
  recordChanges?: (handler: RouteHandler) => RouteHandler;
  logger?: Logger;
}

export type CryptoDataPlaneOperation = CryptoOperation | SecretOperation | JobOperation;

export function createCryptoDataPlaneHandlers(deps: CryptoDataPlaneDependencies): Record<CryptoDataPlaneOperation, RouteHandler> {
  const common = { tenantClaim: deps.tenantClaim, logger: deps.logger };
  const recordChanges = deps.recordChanges ?? ((handler: RouteHandler) => handler);
  const activeNamespaceKid = (tenant: string, namespace: string) => deps.dataPlane.activeNamespaceKid(tenant, namespace);
  return {
    ...createCryptoHandlers(deps.dataPlane, common),
    ...createSecretHandlers(deps.secrets, common, recordChanges),
    ...createJobHandlers({ jobs: deps.jobs, activeNamespaceKid, assertTenantUsable: (tenant) => deps.dataPlane.assertTenantUsable(tenant) }, common, recordChanges),
  };
}
