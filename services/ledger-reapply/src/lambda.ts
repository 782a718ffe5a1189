/**
 * AWS composition root of the destruction ledger's re-application (its own function: it carries
 * the key hierarchy, not the S3 client, which services/destruction-ledger's reader has): one verified page of the ledger (`{page, mac}` as the
 * reader function answers it) in, what was destroyed again out. `keyledger backup reapply-ledger`
 * invokes it page by page after a table restore (docs/operations.md).
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { createAwsKeyHierarchy, readAwsKeyHierarchySettings, type AwsClients } from '@keyledger/aws-runtime';
import { deferred, jsonLogger } from '@keyledger/http';
import { readSettings, type Environment } from '@keyledger/settings';
import { reapplyPage } from './reapply';
import { verifyPage } from '@keyledger/destruction-ledger/pages';

export async function createReapplyLambda(env: Environment, clients: AwsClients = {}) {
  const logger = jsonLogger({ service: 'ledger-reapply' });
  const { destructionLedgerMacKey } = readSettings(['destructionLedgerMacKey'], env);
  const kms = clients.kms ?? new KMSClient({});
  const { keyHierarchy, regions } = await createAwsKeyHierarchy(readAwsKeyHierarchySettings(env), logger, { ...clients, kms });
  return async (event: unknown) => reapplyPage({ page: await verifyPage(kms, destructionLedgerMacKey, event), keyHierarchy, regions, logger });
}

const lambda = deferred(() => createReapplyLambda(process.env));
export const handler = async (event: unknown) => (await lambda())(event);
