/**
 * AWS composition root of the destruction ledger's bucket side: `handler`, which the event
 * table's stream invokes, records destructions in the ledger's S3 bucket (Object Lock);
 * `readHandler` answers one signed page of the ledger (`{cursor?}` in, `{page, mac}` out) for
 * the re-apply function (services/ledger-reapply), which `keyledger backup reapply-ledger`
 * drives; `rebuildHandler` writes the destroying commits of one page of the event table to the
 * ledger (`keyledger backup rebuild-ledger`: after the first deploy, or a dead-lettered record).
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { jsonLogger } from '@keyledger/http';
import { readSettings, type Environment } from '@keyledger/settings';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { rebuildLedgerPage, type RebuildCursor } from './ledgerRebuild';
import { createLedgerWriter } from './ledgerWriter';
import { S3DestructionLedger, type LedgerCursor } from './s3DestructionLedger';
import { signPage, type SignedLedgerPage } from './signedPage';

export function createLedgerWriterLambda(env: Environment, s3: S3Client = new S3Client({})) {
  const { destructionLedgerBucket } = readSettings(['destructionLedgerBucket'], env);
  return createLedgerWriter({ ledger: new S3DestructionLedger(s3, destructionLedgerBucket), logger: jsonLogger({ service: 'destruction-ledger' }) });
}

export function createLedgerReaderLambda(env: Environment, clients: { s3?: S3Client; kms?: KMSClient } = {}) {
  const { destructionLedgerBucket, destructionLedgerMacKey } = readSettings(['destructionLedgerBucket', 'destructionLedgerMacKey'], env);
  const ledger = new S3DestructionLedger(clients.s3 ?? new S3Client({}), destructionLedgerBucket);
  const kms = clients.kms ?? new KMSClient({});
  return async (event: { cursor?: LedgerCursor } | null): Promise<SignedLedgerPage> => signPage(kms, destructionLedgerMacKey, await ledger.readPage(event?.cursor));
}

export function createLedgerRebuildLambda(env: Environment, clients: { s3?: S3Client; dynamodb?: DynamoDBClient } = {}) {
  const { destructionLedgerBucket, eventsTable } = readSettings(['destructionLedgerBucket', 'eventsTable'], env);
  const deps = { client: clients.dynamodb ?? new DynamoDBClient({}), eventsTable, ledger: new S3DestructionLedger(clients.s3 ?? new S3Client({}), destructionLedgerBucket) };
  return (event: { cursor?: RebuildCursor | null; since?: string } | null) => rebuildLedgerPage(deps, event ?? {});
}

// Each function builds only what its handler needs, on its first invocation.
let writer: ReturnType<typeof createLedgerWriterLambda> | undefined;
let reader: ReturnType<typeof createLedgerReaderLambda> | undefined;
let rebuild: ReturnType<typeof createLedgerRebuildLambda> | undefined;
export const handler = (event: DynamoDBStreamEvent) => (writer ??= createLedgerWriterLambda(process.env))(event);
export const readHandler = (event: { cursor?: LedgerCursor } | null) => (reader ??= createLedgerReaderLambda(process.env))(event);
export const rebuildHandler = (event: { cursor?: RebuildCursor | null; since?: string } | null) => (rebuild ??= createLedgerRebuildLambda(process.env))(event);
