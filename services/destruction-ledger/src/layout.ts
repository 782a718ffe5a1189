/**
 * How the destruction ledger lies in its S3 bucket (read by the CDK app for its grants, too):
 * one object per destroying commit, `destructions/<tenant>/<version, 12 digits>.json`, holding
 * `{format, version: 1, entries}`.
 */
export const LEDGER_PREFIX = 'destructions/';
export const LEDGER_FORMAT = 'keyledger-destruction-ledger';

/** Sorted by tenant, then commit. */
export function ledgerObjectKey(tenant: string, version: number): string {
  return `${LEDGER_PREFIX}${encodeURIComponent(tenant)}/${String(version).padStart(12, '0')}.json`;
}
