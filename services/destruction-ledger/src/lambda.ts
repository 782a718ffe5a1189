/**
 * AWS composition root of the destruction ledger's bucket side: `handler`, which the event
 * table's stream invokes, records destructions in the ledger's S3 bucket (Object Lock);
 * `readHandler` answers one signed page of the ledger (`{cursor?}` in, `{page, mac}` out) for
 * the re-apply function (reapplyLambda.ts), which `keyledger ledger reapply` drives.
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { jsonLogger } from '@keyledger/http';
import { readSettings, type Environment } from '@keyledger/settings';
import type { DynamoDBStreamEvent } from 'aws-lambda';
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

// Each function builds only what its handler needs, on its first invocation.
let writer: ReturnType<typeof createLedgerWriterLambda> | undefined;
let reader: ReturnType<typeof createLedgerReaderLambda> | undefined;
export const handler = (event: DynamoDBStreamEvent) => (writer ??= createLedgerWriterLambda(process.env))(event);
export const readHandler = (event: { cursor?: LedgerCursor } | null) => (reader ??= createLedgerReaderLambda(process.env))(event);
