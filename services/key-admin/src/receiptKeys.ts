import type { HttpResult } from '@keyledger/http';

export { RECEIPT_KEYS_PATH } from '@keyledger/http';

/**
 * `GET /.well-known/keyledger/receipt-keys.json`: every receipt key ever used (retired ones too,
 * so old receipts stay verifiable), public parts only. Cached briefly: a new key appears here
 * before the first receipt it signs is stored.
 */
export async function receiptKeysResponse(jwks: () => Promise<{ keys: unknown[] }>): Promise<HttpResult> {
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/jwk-set+json', 'cache-control': 'public, max-age=60' },
    body: JSON.stringify(await jwks()),
  };
}
