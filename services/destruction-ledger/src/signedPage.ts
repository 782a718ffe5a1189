import { createHash } from 'node:crypto';
import { GenerateMacCommand, VerifyMacCommand, type KMSClient } from '@aws-sdk/client-kms';
import type { LedgerPage } from './s3DestructionLedger';

/**
 * A page of the destruction ledger as the reader function answers it, with an HMAC made by a KMS
 * key only the reader may use to sign and only the re-apply function may use to verify: the
 * re-apply function destroys what a page names, so it acts only on pages the reader read from
 * the locked bucket, never on entries a caller made up. (A page replayed later names real
 * destructions: re-applying them again changes nothing.)
 */
export interface SignedLedgerPage {
  page: LedgerPage;
  /** Base64 HMAC-SHA-256 (KMS) over the page's digest. */
  mac: string;
}

const MAC_ALGORITHM = 'HMAC_SHA_256';

/** What is signed: a purpose line and the page's SHA-256 (KMS MACs messages of at most 4 KiB). */
function message(page: LedgerPage): Uint8Array {
  return Buffer.from(`keyledger destruction ledger page v1\n${createHash('sha256').update(JSON.stringify(page)).digest('hex')}`);
}

export async function signPage(kms: KMSClient, keyId: string, page: LedgerPage): Promise<SignedLedgerPage> {
  const { Mac } = await kms.send(new GenerateMacCommand({ KeyId: keyId, MacAlgorithm: MAC_ALGORITHM, Message: message(page) }));
  if (!Mac) throw new Error('KMS GenerateMac answered no MAC.');
  return { page, mac: Buffer.from(Mac).toString('base64') };
}

/** The page, if its MAC verifies under the key; otherwise an error saying so (nothing is re-applied). */
export async function verifyPage(kms: KMSClient, keyId: string, signed: unknown): Promise<LedgerPage> {
  const candidate = signed as Partial<SignedLedgerPage> | null;
  if (typeof candidate !== 'object' || candidate === null || typeof candidate.mac !== 'string' || typeof candidate.page !== 'object' || candidate.page === null || !Array.isArray(candidate.page.entries)) {
    throw new Error('Expected a page of the destruction ledger as the reader function answers it: {"page": {"entries": [...]}, "mac": "..."}.');
  }
  const page = candidate.page;
  let valid = false;
  try {
    ({ MacValid: valid = false } = await kms.send(
      new VerifyMacCommand({ KeyId: keyId, MacAlgorithm: MAC_ALGORITHM, Message: message(page), Mac: Buffer.from(candidate.mac, 'base64') }),
    ));
  } catch (error) {
    if ((error as Error).name !== 'KMSInvalidMacException') throw error;
  }
  if (!valid) throw new Error('This page of the destruction ledger does not carry the reader function\'s MAC: nothing was re-applied.');
  return page;
}
